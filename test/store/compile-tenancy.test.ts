import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import type { SigningKeys } from '../../src/keys/signing-keys.ts';
import { compile } from '../../src/store/compile.ts';
import { organizationId } from '../../src/store/names.ts';
import type { DeclaredObject } from '../../src/store/objects.ts';
import { declare, secret, world } from './world.ts';

// Issue 9: the rules of tenant isolation that the compiler enforces (docs/security-model.md).

let keys: SigningKeys;
beforeAll(async () => {
  keys = keySetOf(await generateSigningKeys());
});

const GOOD_SECRET = 'x'.repeat(43);
const clientSecret = (ns: string, name: string) =>
  secret(ns, `${name}-oauth`, { client_secret: GOOD_SECRET });
const LABELS = { partner: { partner: 'true' }, outsider: {} };

/** `b-shared` allows only partner namespaces; a partner's Role passes it on to every namespace. */
const shared = declare.api('b', 'b-shared', {
  identifier: 'https://b-shared.internal',
  scopes: [{ name: 'admin' }],
  allowedNamespaces: { matchLabels: { partner: 'true' } },
});
const relay = declare.role('partner', 'relay', {
  permissions: [{ resourceServer: { name: 'b-shared', namespace: 'b' }, scopes: ['admin'] }],
  allowedNamespaces: {},
});

function resolution(c: ReturnType<typeof compile>, key: string) {
  const r = c.resolutions.get(key as never);
  if (!r) throw new Error(`no resolution for ${key}`);
  return r;
}

describe("an API's allowedNamespaces holds for the namespace of the client that gets the token", () => {
  it('refuses a Role that passes the API on to a namespace the API does not allow, saying why', () => {
    const outsider = declare.client('outsider', 'thief', {
      roles: [{ name: 'relay', namespace: 'partner' }],
    });
    const c = compile(world([shared, relay, outsider], [clientSecret('outsider', 'thief')], LABELS), keys, 1);
    expect(c.snapshot.clients.get('thief.outsider')?.permissions.size).toBe(0);
    const r = resolution(c, 'OAuthClient/outsider/thief');
    expect(r.conditions[0]).toMatchObject({ status: 'False', reason: 'ReferenceNotAllowed' });
    expect(r.conditions[0]?.message).toBe(
      'spec.roles[0]: ResourceServer b/b-shared does not allow references from namespace outsider (its spec.allowedNamespaces), reached through Role partner/relay',
    );
  });

  it('still grants the Role to a client in a namespace the API allows', () => {
    const partner = declare.client('partner', 'worker', { roles: [{ name: 'relay' }] });
    const c = compile(world([shared, relay, partner], [clientSecret('partner', 'worker')], LABELS), keys, 1);
    expect(resolution(c, 'OAuthClient/partner/worker').ready).toBe(true);
    expect(
      c.snapshot.clients.get('worker.partner')?.permissions.get('https://b-shared.internal')?.scopes,
    ).toEqual(['admin']);
  });

  it("refuses an Organization's extra Role for a member in a namespace the API does not allow", () => {
    const outsider = declare.client('outsider', 'thief', {
      organizationUsage: 'allow',
      allowedNamespaces: {},
    });
    const org = declare.org('partner', 'front', {
      clients: [{ client: { name: 'thief', namespace: 'outsider' }, roles: [{ name: 'relay' }] }],
    });
    const c = compile(
      world([shared, relay, outsider, org], [clientSecret('outsider', 'thief')], LABELS),
      keys,
      1,
    );
    const membership = c.snapshot.clients
      .get('thief.outsider')
      ?.organizations.get(organizationId('partner', 'front'));
    expect(membership?.permissions.size).toBe(0);
    const r = resolution(c, 'Organization/partner/front');
    expect(r.conditions[0]).toMatchObject({ status: 'False', reason: 'ReferenceNotAllowed' });
    expect(r.conditions[0]?.message).toBe(
      'spec.clients[0].roles[0]: ResourceServer b/b-shared does not allow references from namespace outsider (its spec.allowedNamespaces), reached through Role partner/relay for OAuthClient outsider/thief',
    );
  });
});

describe('spec.clientId may not take the default shape of another namespace', () => {
  const squatter = (clientId: string) =>
    declare.client('team-a', 'squatter', { clientId }, '2026-01-01T00:00:00Z');
  const payments = declare.client('team-b', 'payments', {}, '2026-02-01T00:00:00Z');
  const secrets = [clientSecret('team-a', 'squatter'), clientSecret('team-b', 'payments')];

  it("refuses payments.team-b in team-a, and team-b's payments client keeps its default id", () => {
    const c = compile(world([squatter('payments.team-b'), payments], secrets), keys, 1);
    expect(c.snapshot.clients.get('payments.team-b')?.namespace).toBe('team-b');
    expect(resolution(c, 'OAuthClient/team-b/payments').ready).toBe(true);
    const r = resolution(c, 'OAuthClient/team-a/squatter');
    expect(r.conditions[0]).toMatchObject({ status: 'False', reason: 'ClientIdNotAllowed' });
    expect(r.conditions[0]?.message).toBe(
      'spec.clientId payments.team-b has the shape <name>.<namespace> of the default client ids of namespace team-b (a custom client id may end in .team-a, or have another shape)',
    );
  });

  it.each([
    ['its own namespace', 'payments.team-a', true],
    ['no dot', 'payments-client', true],
    ['a colon before the dot', 'urn:acme:payments.v2', true],
    ['a colon after the dot', 'payments.team:b', true],
    ['another namespace', 'payments.team-b', false],
    ['a dotted name in another namespace', 'pay.ments.team-b', false],
  ])('a custom client id with %s (%s) is in effect: %s', (_, clientId, inEffect) => {
    const c = compile(world([squatter(clientId)], secrets), keys, 1);
    expect(c.snapshot.clients.has(clientId)).toBe(inEffect);
  });
});

describe('who holds an identifier or a client id when two were created in the same second', () => {
  const SECOND = '2026-01-01T00:00:00Z';
  const api = (ns: string, uid: string, held: boolean): DeclaredObject => {
    const o = declare.api(ns, 'api', { identifier: 'https://same', scopes: [{ name: 'read' }] }, SECOND);
    return { ...o, metadata: { ...o.metadata, uid }, ...(held ? { claimHeld: true } : {}) } as DeclaredObject;
  };

  it('the one whose status says it holds it keeps it, in any input order', () => {
    for (const objects of [
      [api('a', 'uid-1', false), api('b', 'uid-2', true)],
      [api('b', 'uid-2', true), api('a', 'uid-1', false)],
    ]) {
      const c = compile(world(objects), keys, 1);
      expect(c.snapshot.apis.get('https://same')?.namespace).toBe('b');
    }
  });

  it('otherwise the smaller uid, so every replica and every restart decides the same', () => {
    for (const objects of [
      [api('a', 'uid-2', false), api('b', 'uid-1', false)],
      [api('b', 'uid-1', false), api('a', 'uid-2', false)],
    ]) {
      const c = compile(world(objects), keys, 1);
      expect(c.snapshot.apis.get('https://same')?.namespace).toBe('b');
    }
  });

  it('an older object keeps it even when a newer one claims its status holds it', () => {
    const older = declare.api('a', 'api', { identifier: 'https://same' }, '2026-01-01T00:00:00Z');
    const forged = {
      ...api('b', 'uid-0', true),
      metadata: { ...api('b', 'uid-0', true).metadata, creationTimestamp: '2026-01-01T00:00:01Z' },
    };
    const c = compile(world([forged as DeclaredObject, older]), keys, 1);
    expect(c.snapshot.apis.get('https://same')?.namespace).toBe('a');
  });
});

describe('org_name is unique: the oldest Organization of a name holds it', () => {
  it('refuses a newcomer named like an Organization in another namespace', () => {
    const client = (ns: string) => declare.client(ns, 'worker', { organizationUsage: 'allow' });
    const org = (ns: string, created: string): DeclaredObject => {
      const o = declare.org(ns, 'acme', { clients: [{ client: { name: 'worker' } }] });
      return { ...o, metadata: { ...o.metadata, creationTimestamp: created } };
    };
    const c = compile(
      world(
        [
          org('mallory', '2026-02-01T00:00:00Z'),
          client('mallory'),
          org('acme', '2026-01-01T00:00:00Z'),
          client('acme'),
        ],
        [clientSecret('mallory', 'worker'), clientSecret('acme', 'worker')],
      ),
      keys,
      1,
    );
    expect([...c.snapshot.organizations.values()].map((o) => o.namespace)).toEqual(['acme']);
    expect(c.snapshot.clients.get('worker.mallory')?.organizations.size).toBe(0);
    expect(c.snapshot.clients.get('worker.acme')?.organizations.size).toBe(1);
    expect(resolution(c, 'Organization/mallory/acme').conditions[0]).toMatchObject({
      status: 'False',
      reason: 'OrganizationNameConflict',
      message: 'org_name acme is already used by Organization acme/acme',
    });
  });
});
