import * as oidc from 'openid-client';
import { EventBus } from '../../src/events.ts';
import type { RevocationStore } from '../../src/runtime/revocation-store.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import type { DeclaredObject } from '../../src/store/objects.ts';
import { Store } from '../../src/store/store.ts';
import { testKeys } from '../http/harness.ts';
import { declare, secret, world } from '../store/world.ts';
import { ResponseChecker, type OpenApiDocument } from './openapi-check.ts';

/**
 * The management API (issue 14) on the real servers, with a world compiled from manifests by the real store:
 *
 * | client | namespace | management scopes | reaches |
 * |---|---|---|---|
 * | platform-automation | latchkey-system | read:clients, read:resource_servers, read:roles | every namespace |
 * | team-a-automation | team-a | read:clients (by a Role in team-a) | team-a |
 * | team-b-automation | team-b | read:resource_servers | team-b |
 * | portal-backend | latchkey-system | read:clients in team-a and team-c; read:resource_servers | those; every namespace |
 * | payments-worker | team-a | none (a payments grant) | — |
 *
 * Besides: {@link TEAM_C_CLIENTS} clients in team-c for paging, a ResourceServer in each team namespace, one
 * that takes the built-in's name in latchkey-system and one in team-b that claims its identifier.
 */
export const LATCHKEY_NAMESPACE = 'latchkey-system';
export const TEAM_C_CLIENTS = 45;
/** The longest client id an OAuthClient may declare. */
export const LONG_CLIENT_ID = `c${'x'.repeat(253)}`;

export const SECRETS = {
  'platform-automation.latchkey-system': 'platform-secret-'.padEnd(43, 'p'),
  'team-a-automation.team-a': 'team-a-secret-'.padEnd(43, 'a'),
  'team-b-automation.team-b': 'team-b-secret-'.padEnd(43, 'b'),
  'payments-worker.team-a': 'payments-secret-'.padEnd(43, 'w'),
  'portal-backend.latchkey-system': 'portal-secret-'.padEnd(43, 'o'),
} as const;
export type Caller = keyof typeof SECRETS;

const management = (scopes: string[], namespace?: string) => ({
  resourceServer: { name: 'management-api', ...(namespace === undefined ? {} : { namespace }) },
  scopes,
});

function objects(identifier: string): DeclaredObject[] {
  const teamC = Array.from({ length: TEAM_C_CLIENTS }, (_, i) =>
    declare.client(
      'team-c',
      `app-${String(i).padStart(2, '0')}`,
      { grants: [] },
      `2026-01-01T00:00:${String(59 - i).padStart(2, '0')}Z`,
    ),
  );
  return [
    declare.client(LATCHKEY_NAMESPACE, 'platform-automation', {
      displayName: 'Platform automation',
      grants: [management(['read:clients', 'read:resource_servers', 'read:roles'])],
    }),
    declare.client(LATCHKEY_NAMESPACE, 'portal-backend', {
      grants: [
        { ...management(['read:clients']), namespaces: ['team-a', 'team-c'] },
        management(['read:resource_servers']),
      ],
    }),
    declare.role('team-a', 'management-reader', {
      permissions: [management(['read:clients'], LATCHKEY_NAMESPACE)],
    }),
    declare.client('team-a', 'team-a-automation', { roles: [{ name: 'management-reader' }] }),
    declare.role('team-a', 'payments-admins', {
      description: 'Payments for the admins group',
      permissions: [{ resourceServer: { name: 'payments' }, scopes: ['payments:read'] }],
      subjects: [{ connection: { name: 'corp' }, group: 'admins' }],
    }),
    declare.client('team-b', 'long-id', { clientId: LONG_CLIENT_ID }),
    declare.client('team-b', 'team-b-automation', {
      grants: [management(['read:resource_servers'], LATCHKEY_NAMESPACE)],
    }),
    declare.client('team-a', 'payments-worker', {
      grants: [{ resourceServer: { name: 'payments' }, scopes: ['payments:read'] }],
    }),
    declare.api('team-a', 'payments', {
      identifier: 'https://payments.example.com',
      displayName: 'Payments',
      scopes: [{ name: 'payments:read', description: 'Read payments' }],
    }),
    declare.api('team-b', 'ledger', {
      identifier: 'https://ledger.example.com',
      scopes: [{ name: 'ledger:read' }],
    }),
    declare.api(LATCHKEY_NAMESPACE, 'management-api', { identifier: 'https://impostor.example.com' }),
    declare.api('team-b', 'impostor', { identifier, scopes: [{ name: 'read:clients' }] }),
    ...teamC,
  ];
}

export interface ManagementHarness {
  servers: RunningServers;
  store: Store;
  /** `<issuer>/api/v1`. */
  api: string;
  /** An access token for the management API from the token endpoint, by openid-client. */
  token(caller: Caller, audience?: string): Promise<string>;
  /** The OpenAPI document the server serves. */
  document: OpenApiDocument;
  /**
   * GET below the API with a token; the body parsed. Every answer is checked against the OpenAPI document:
   * one that does not match it fails the test that got it.
   */
  get(
    path: string,
    token?: string,
  ): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }>;
  /** Compiles the world again, with `change` applied to its objects. */
  redeclare(change: (objects: DeclaredObject[]) => DeclaredObject[]): void;
  close(): Promise<void>;
}

export async function startManagementHarness(
  options: { ratePerMinute?: number; revocations?: RevocationStore } = {},
): Promise<ManagementHarness> {
  const { revocations, ...management } = options;
  const keys = await testKeys();
  const events = new EventBus();
  const store = new Store(keys, events);
  const servers = await startServers({
    source: store,
    port: 0,
    opsPort: 0,
    now: Date.now,
    events,
    ready: () => true,
    ...(revocations === undefined ? {} : { revocations }),
    management: { source: store, ...management },
  });
  const api = servers.managementApi;
  const secrets = Object.entries(SECRETS).map(([id, value]) => {
    const [name, ns] = id.split('.') as [string, string];
    return secret(ns, `${name}-oauth`, { client_secret: value });
  });
  const compileWith = (objs: DeclaredObject[]) =>
    store.rebuild({
      ...world(objs, secrets),
      managementApi: { namespace: LATCHKEY_NAMESPACE, identifier: api },
    });
  let declared = objects(api);
  compileWith(declared);
  const document = (await (await fetch(`${api}/schema`)).json()) as OpenApiDocument;
  const checker = new ResponseChecker(document);
  return {
    servers,
    store,
    api,
    async token(caller, audience = api) {
      const config = await oidc.discovery(new URL(servers.issuer), caller, SECRETS[caller], undefined, {
        execute: [oidc.allowInsecureRequests],
        algorithm: 'oauth2',
      });
      return (await oidc.clientCredentialsGrant(config, { audience })).access_token;
    },
    document,
    async get(path, token) {
      const res = await fetch(
        `${api}${path}`,
        token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } },
      );
      const body = (await res.json()) as Record<string, unknown>;
      const problems = checker.problems('GET', path, res.status, body);
      if (problems.length > 0) {
        throw new Error(
          `GET ${path} ${res.status} is not what the OpenAPI document says: ${problems.join('; ')}`,
        );
      }
      return { status: res.status, headers: res.headers, body };
    },
    redeclare(change) {
      declared = change(declared);
      compileWith(declared);
    },
    close: () => servers.close(),
  };
}
