import { beforeAll, describe, expect, it } from 'vitest';
import { resourceServerSpec } from '../../src/api/resource-server.ts';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import type { SigningKeys } from '../../src/keys/signing-keys.ts';
import { compile } from '../../src/store/compile.ts';
import { declare, secret, world } from './world.ts';

let keys: SigningKeys;
beforeAll(async () => {
  keys = keySetOf(await generateSigningKeys());
});

const GOOD_SECRET = 'x'.repeat(43);
const IDENTIFIER = 'https://payments.internal';
const paymentsApi = (introspection?: unknown) =>
  declare.api('payments', 'payments-api', {
    identifier: IDENTIFIER,
    scopes: [{ name: 'payments:read' }],
    ...(introspection === undefined ? {} : { introspection }),
  });
const clientIn = (ns: string, name: string, extra: object = {}) => declare.client(ns, name, { ...extra });
const secretOf = (ns: string, name: string) => secret(ns, `${name}-oauth`, { client_secret: GOOD_SECRET });

function compiled(
  objects: Parameters<typeof world>[0],
  namespaces: Record<string, Record<string, string>> = {},
) {
  const secrets = objects
    .filter((o) => o.kind === 'OAuthClient')
    .map((o) => secretOf(o.metadata.namespace, o.metadata.name));
  return compile(world(objects, secrets, namespaces), keys, 1);
}

const resolution = (c: ReturnType<typeof compile>) => {
  const r = c.resolutions.get('ResourceServer/payments/payments-api');
  if (r === undefined) throw new Error('no resolution for the ResourceServer');
  return r;
};

describe('ResourceServer spec.introspection', () => {
  it('lets a client in the same namespace introspect, by its client id', () => {
    const c = compiled([
      paymentsApi({ clients: [{ name: 'gateway' }] }),
      clientIn('payments', 'gateway', { clientId: 'payments-gateway' }),
    ]);
    expect([...(c.snapshot.apis.get(IDENTIFIER)?.introspectors ?? [])]).toEqual(['payments-gateway']);
    expect(resolution(c).ready).toBe(true);
    expect(resolution(c).conditions.map((x) => [x.type, x.status, x.reason, x.message])).toEqual([
      ['Ready', 'True', 'Reconciled', 'ResourceServer is in effect'],
      ['ReferencesResolved', 'True', 'Reconciled', 'all references resolved'],
    ]);
  });

  it('adds no ReferencesResolved condition to a ResourceServer that names no client', () => {
    const c = compiled([paymentsApi()]);
    expect(c.snapshot.apis.get(IDENTIFIER)?.introspectors.size).toBe(0);
    expect(resolution(c).conditions.map((x) => x.type)).toEqual(['Ready']);
  });

  it("refuses a client in another namespace whose allowedNamespaces does not select the API's", () => {
    const c = compiled([
      paymentsApi({ clients: [{ name: 'auditor', namespace: 'security' }] }),
      clientIn('security', 'auditor', { allowedNamespaces: { matchLabels: { team: 'other' } } }),
    ]);
    expect(c.snapshot.apis.get(IDENTIFIER)?.introspectors.size).toBe(0);
    const message =
      'spec.introspection.clients[0]: OAuthClient security/auditor does not allow references from namespace payments (its spec.allowedNamespaces)';
    expect(resolution(c).conditions).toEqual([
      { type: 'Ready', status: 'False', reason: 'ReferenceNotAllowed', message },
      { type: 'ReferencesResolved', status: 'False', reason: 'ReferenceNotAllowed', message },
    ]);
  });

  it("honours a client in another namespace once its allowedNamespaces selects the API's", () => {
    const objects = [
      paymentsApi({ clients: [{ name: 'auditor', namespace: 'security' }] }),
      clientIn('security', 'auditor', { allowedNamespaces: { matchLabels: { team: 'billing' } } }),
    ];
    expect(compiled(objects).snapshot.apis.get(IDENTIFIER)?.introspectors.size).toBe(0);
    const c = compiled(objects, { payments: { team: 'billing' } });
    expect([...(c.snapshot.apis.get(IDENTIFIER)?.introspectors ?? [])]).toEqual(['auditor.security']);
    expect(resolution(c).ready).toBe(true);
  });

  it('reports a missing client, or one without its Secret yet, and keeps serving the API', () => {
    const c = compile(
      world(
        [
          paymentsApi({ clients: [{ name: 'ghost' }, { name: 'gateway' }, { name: 'pending' }] }),
          clientIn('payments', 'gateway'),
          clientIn('payments', 'pending'),
        ],
        [secretOf('payments', 'gateway')],
      ),
      keys,
      1,
    );
    const api = c.snapshot.apis.get(IDENTIFIER);
    expect([...(api?.introspectors ?? [])]).toEqual(['gateway.payments']);
    expect(resolution(c).ready).toBe(false);
    expect(resolution(c).conditions[1]).toEqual({
      type: 'ReferencesResolved',
      status: 'False',
      reason: 'ReferenceNotFound',
      message:
        'spec.introspection.clients[0]: OAuthClient payments/ghost not found or not ready; spec.introspection.clients[2]: OAuthClient payments/pending not found or not ready',
    });
  });

  it('reports an identifier conflict and the references of the losing ResourceServer together', () => {
    const c = compiled([
      declare.api('payments', 'payments-api', { identifier: IDENTIFIER }, '2020-01-01T00:00:00Z'),
      declare.api(
        'payments',
        'copy',
        { identifier: IDENTIFIER, introspection: { clients: [{ name: 'ghost' }] } },
        '2021-01-01T00:00:00Z',
      ),
    ]);
    expect(c.snapshot.apis.get(IDENTIFIER)?.name).toBe('payments-api');
    expect(c.resolutions.get('ResourceServer/payments/copy')?.conditions[0]).toEqual({
      type: 'Ready',
      status: 'False',
      reason: 'IdentifierConflict',
      message:
        'identifier https://payments.internal is already used by ResourceServer payments/payments-api; spec.introspection.clients[0]: OAuthClient payments/ghost not found or not ready',
    });
  });

  it('does not let the same client id leak into another API', () => {
    const c = compiled([
      paymentsApi({ clients: [{ name: 'gateway' }] }),
      declare.api('payments', 'ledger-api', { identifier: 'https://ledger.internal' }),
      clientIn('payments', 'gateway'),
    ]);
    expect(c.snapshot.apis.get('https://ledger.internal')?.introspectors.size).toBe(0);
  });
});

describe('the spec.introspection schema', () => {
  it.each([
    ['an empty client list', { clients: [] }],
    ['no client list', {}],
    ['a reference without a name', { clients: [{ namespace: 'x' }] }],
    ['a name that is not a Kubernetes name', { clients: [{ name: 'Not_A_Name' }] }],
    ['more than 64 clients', { clients: Array.from({ length: 65 }, (_, i) => ({ name: `c${i}` })) }],
  ])('refuses %s', (_name, introspection) => {
    expect(resourceServerSpec.safeParse({ identifier: IDENTIFIER, introspection }).success).toBe(false);
  });
});
