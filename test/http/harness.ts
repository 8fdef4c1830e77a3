import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import type { SigningKeys } from '../../src/keys/signing-keys.ts';
import type { Readiness } from '../../src/server/ops.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import type { Snapshot } from '../../src/store/snapshot.ts';
import { api, client, FixedSource, grant, organization, snapshot } from './world.ts';

/** The frozen clock of every server under test: 2030-03-17T17:46:40Z. */
export const NOW_MS = 1_900_000_000_000;
export const NOW_S = NOW_MS / 1000;

export const payments = api('payments', 'RS256', ['payments:read', 'payments:write', 'payments:refund'], 300);
export const ledger = api('ledger', 'ES256', ['ledger:read', 'ledger:write'], 600);
export const audit = api('audit', 'EdDSA', ['audit:read'], 120);
/** Exists, but no client is granted it. */
export const hr = api('hr', 'RS256', ['hr:read'], 300);

export const acme = organization('org_acme', 'acme');
export const globex = organization('org_globex', 'globex');
export const initech = organization('org_initech', 'initech');
export const sharedA = organization('org_shared_a', 'shared', 'tenants-a');
export const sharedB = organization('org_shared_b', 'shared', 'tenants-b');

/** Client ids and their secrets. */
export const SECRETS = {
  'billing-worker.billing': 'secret-basic-7Qe3lP0x',
  'ledger-sync.billing': 'secret-post-Zk2m9R+/ &=%',
  'auditor.security': 'secret-audit-5Hq1',
  'multi.platform': 'secret-multi-9Lw2',
  'lonely.platform': 'secret-lonely-3Xc8',
  'interactive.web': 'secret-web-1Vb6',
  'rotating.platform': 'new-secret-8Jd4',
  'bare.platform': 'secret-bare-2Ns5',
  'tenant-app.saas': 'secret-tenant-6Tr0',
  'tenant-only.saas': 'secret-only-4Yp7',
  'twin.saas': 'secret-twin-0Gm3',
} as const;
export type ClientId = keyof typeof SECRETS;

export function world(keys: SigningKeys): Snapshot {
  return snapshot(keys, {
    apis: [payments, ledger, audit, hr],
    organizations: [acme, globex, initech, sharedA, sharedB],
    clients: [
      client({
        clientId: 'billing-worker.billing',
        secrets: [SECRETS['billing-worker.billing']],
        grants: [grant(payments, ['payments:write', 'payments:read'])],
      }),
      client({
        clientId: 'ledger-sync.billing',
        authMethod: 'client_secret_post',
        secrets: [SECRETS['ledger-sync.billing']],
        grants: [grant(ledger, ['ledger:read'])],
      }),
      client({
        clientId: 'auditor.security',
        secrets: [SECRETS['auditor.security']],
        grants: [grant(audit)],
      }),
      client({
        clientId: 'multi.platform',
        secrets: [SECRETS['multi.platform']],
        grants: [grant(payments, ['payments:read']), grant(ledger), grant(audit)],
      }),
      client({ clientId: 'lonely.platform', secrets: [SECRETS['lonely.platform']] }),
      client({
        clientId: 'interactive.web',
        secrets: [SECRETS['interactive.web']],
        grantTypes: ['authorization_code', 'refresh_token'],
        grants: [grant(payments)],
      }),
      client({
        clientId: 'rotating.platform',
        secrets: ['old-secret-1Qa9', SECRETS['rotating.platform']],
        grants: [grant(payments, ['payments:read'])],
      }),
      client({
        clientId: 'bare.platform',
        secrets: [SECRETS['bare.platform']],
        grants: [grant(payments, [])],
      }),
      client({ clientId: 'signer.platform', authMethod: 'private_key_jwt', grants: [grant(payments)] }),
      client({ clientId: 'public.spa', authMethod: 'none', grants: [grant(payments)] }),
      client({
        clientId: 'tenant-app.saas',
        secrets: [SECRETS['tenant-app.saas']],
        organizationUsage: 'allow',
        grants: [grant(payments, ['payments:read'])],
        organizations: [
          {
            organization: acme,
            grants: [grant(payments, ['payments:read', 'payments:refund']), grant(audit)],
          },
          { organization: globex, grants: [grant(payments, ['payments:read'])] },
        ],
      }),
      client({
        clientId: 'tenant-only.saas',
        secrets: [SECRETS['tenant-only.saas']],
        organizationUsage: 'require',
        organizations: [{ organization: acme, grants: [grant(ledger, ['ledger:read'])] }],
      }),
      client({
        clientId: 'twin.saas',
        secrets: [SECRETS['twin.saas']],
        organizationUsage: 'allow',
        grants: [grant(payments, ['payments:read'])],
        organizations: [
          { organization: sharedA, grants: [grant(payments, ['payments:read'])] },
          { organization: sharedB, grants: [grant(payments, ['payments:read'])] },
        ],
      }),
    ],
  });
}

export interface Harness {
  servers: RunningServers;
  source: FixedSource;
  keys: SigningKeys;
  events: EventBus;
  /** Every event of the given name, in order. */
  seen: { [E in keyof LatchkeyEvents]: LatchkeyEvents[E][] };
  readiness: { value: boolean | Readiness };
  opsUrl: string;
  close(): Promise<void>;
}

let keysOnce: Promise<SigningKeys> | undefined;

/** One RS256, one ES256 and one EdDSA key, generated once per test file. */
export function testKeys(): Promise<SigningKeys> {
  keysOnce ??= generateSigningKeys().then(keySetOf);
  return keysOnce;
}

/** Starts the real servers on 127.0.0.1 with random ports, the test world and a frozen clock. */
export async function startHarness(): Promise<Harness> {
  const keys = await testKeys();
  const source = new FixedSource(world(keys));
  const events = new EventBus();
  const seen = { 'token.issued': [], 'token.failed': [] } as unknown as Harness['seen'];
  events.on('token.issued', (e) => seen['token.issued'].push(e));
  events.on('token.failed', (e) => seen['token.failed'].push(e));
  const readiness: Harness['readiness'] = { value: true };
  const servers = await startServers({
    source,
    port: 0,
    opsPort: 0,
    now: () => NOW_MS,
    events,
    ready: () => readiness.value,
  });
  return {
    servers,
    source,
    keys,
    events,
    seen,
    readiness,
    opsUrl: `http://127.0.0.1:${servers.opsPort}`,
    close: () => servers.close(),
  };
}

/** HTTP Basic credentials as RFC 6749 §2.3.1 wants them: each part form-urlencoded first. */
export function basic(clientId: string, secret: string): string {
  const enc = (s: string) => new URLSearchParams({ s }).toString().slice(2);
  return `Basic ${Buffer.from(`${enc(clientId)}:${enc(secret)}`).toString('base64')}`;
}

export function form(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** Posts a raw body to the token endpoint; `content-type` defaults to a form. */
export async function post(
  url: string,
  body: string | undefined,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** Decodes a JWT part without verifying, for assertions on what a verifier would see. */
export function decodePart(jwt: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[index] ?? '', 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
}
