import * as oidc from 'openid-client';
import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import type { SigningKeys } from '../../src/keys/signing-keys.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import type { Snapshot } from '../../src/store/snapshot.ts';
import {
  NOW_MS,
  SECRETS,
  basic,
  form,
  payments,
  post,
  testKeys,
  world,
  type Answer,
  type ClientId,
} from './harness.ts';
import { FixedSource } from './world.ts';

/** The client that the payments API names in spec.introspection in {@link introspectionWorld}. */
export const PAYMENTS_INTROSPECTOR: ClientId = 'auditor.security';

/** The test world, where the payments API lets {@link PAYMENTS_INTROSPECTOR} introspect its tokens. */
export function introspectionWorld(keys: SigningKeys): Snapshot {
  const base = world(keys);
  const apis = new Map(base.apis);
  apis.set(payments.identifier, { ...payments, introspectors: new Set([PAYMENTS_INTROSPECTOR]) });
  return { ...base, apis };
}

/** The servers of {@link startRuntimeHarness}, with a clock tests may move and restore. */
export interface RuntimeHarness {
  servers: RunningServers;
  source: FixedSource;
  keys: SigningKeys;
  /** The server's clock; starts at NOW_MS. */
  clock: { now: number };
  events: {
    introspected: LatchkeyEvents['token.introspected'][];
    revoked: LatchkeyEvents['token.revoked'][];
    failed: LatchkeyEvents['request.failed'][];
  };
  /** Puts the clock and the snapshot back as they were at the start. */
  reset(): void;
  close(): Promise<void>;
}

/** Starts the real servers on random ports with {@link introspectionWorld} and a movable clock. */
export async function startRuntimeHarness(): Promise<RuntimeHarness> {
  const keys = await testKeys();
  const initial = introspectionWorld(keys);
  const source = new FixedSource(initial);
  const clock = { now: NOW_MS };
  const bus = new EventBus();
  const events: RuntimeHarness['events'] = { introspected: [], revoked: [], failed: [] };
  bus.on('token.introspected', (e) => events.introspected.push(e));
  bus.on('token.revoked', (e) => events.revoked.push(e));
  bus.on('request.failed', (e) => events.failed.push(e));
  const servers = await startServers({
    source,
    port: 0,
    opsPort: 0,
    now: () => clock.now,
    events: bus,
    ready: () => true,
  });
  return {
    servers,
    source,
    keys,
    clock,
    events,
    reset() {
      clock.now = NOW_MS;
      source.snapshot = initial;
    },
    close: () => servers.close(),
  };
}

/** An access token for `clientId` from the token endpoint, with any extra token request parameters. */
export async function issue(
  h: RuntimeHarness,
  clientId: ClientId,
  params: Record<string, string> = {},
): Promise<string> {
  const res = await post(h.servers.tokenEndpoint, form({ grant_type: 'client_credentials', ...params }), {
    authorization: basic(clientId, SECRETS[clientId]),
  });
  if (res.status !== 200) throw new Error(`token request failed: ${JSON.stringify(res.body)}`);
  return res.body.access_token as string;
}

/** Posts `params` to `url` as `clientId` with HTTP Basic, returning the raw text as well. */
export async function postAs(
  url: string,
  clientId: ClientId,
  params: Record<string, string>,
): Promise<Answer & { text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: basic(clientId, SECRETS[clientId]),
    },
    body: form(params),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

/** openid-client configured by discovery for `clientId`, authenticating with HTTP Basic or in the body. */
export function discover(
  h: RuntimeHarness,
  clientId: ClientId,
  method: 'basic' | 'post' = 'basic',
): Promise<oidc.Configuration> {
  const auth =
    method === 'basic' ? oidc.ClientSecretBasic(SECRETS[clientId]) : oidc.ClientSecretPost(SECRETS[clientId]);
  return oidc.discovery(new URL(h.servers.issuer), clientId, undefined, auth, {
    execute: [oidc.allowInsecureRequests],
    algorithm: 'oauth2',
  });
}
