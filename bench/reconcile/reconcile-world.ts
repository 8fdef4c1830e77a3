/**
 * What the reconcile bench creates and checks through the API server, with Latchkey's own Kubernetes client
 * (src/kube/api.ts): the objects of lib/declared-objects.ts (one ResourceServer, N Roles and N OAuthClients),
 * created with bounded concurrency; "all Ready" by paginated lists; "a token for every client" from each
 * generated Secret.
 */

import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import type { KindName } from '../../src/api/kinds.ts';
import {
  CORE_NAMESPACES,
  CORE_SECRETS,
  EVENTS,
  KubeApiError,
  type KubeClient,
  type KubeObject,
} from '../../src/kube/types.ts';
import { resourceOf } from '../../src/operator/resources.ts';
import {
  AUDIENCE,
  clientName,
  clientObject,
  GRANT_SCOPE,
  resourceServerObject,
  ROLE_SCOPE,
  roleName,
  roleObject,
  WORKLOAD_NAMESPACE,
} from '../lib/declared-objects.ts';

const PAGE_SIZE = 500;

/** The namespaces and the one ResourceServer, before the operator starts. */
export async function createSetup(api: KubeClient, operatorNamespace: string): Promise<void> {
  for (const name of [operatorNamespace, WORKLOAD_NAMESPACE]) {
    await api.create(CORE_NAMESPACES, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  await api.create(resourceOf('ResourceServer'), WORKLOAD_NAMESPACE, resourceServerObject());
}

/** Runs `work(i)` for i in [0, count) with at most `concurrency` running at once; the first error stops it. */
export async function pool(
  count: number,
  concurrency: number,
  work: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < count) {
      const i = next++;
      try {
        await work(i);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failed !== undefined) throw failed;
}

const TRANSIENT = new Set([429, 500, 502, 503, 504]);

/** Creates an object; retries a transient failure (an answer lost after the create counts as created). */
async function createWithRetry(api: KubeClient, kind: KindName, o: KubeObject, retries: { n: number }) {
  for (let attempt = 0; ; attempt++) {
    try {
      await api.create(resourceOf(kind), WORKLOAD_NAMESPACE, o);
      return;
    } catch (err) {
      const status = err instanceof KubeApiError ? err.status : undefined;
      if (attempt > 0 && status === 409) return;
      const transient =
        status === undefined ? (err as { code?: string }).code !== undefined : TRANSIENT.has(status);
      if (!transient || attempt >= 3) throw err;
      retries.n++;
      await new Promise((resolve) => setTimeout(resolve, 200 * (attempt + 1)));
    }
  }
}

export interface CreateResult {
  /** performance.now() of the first create request and of the last answer. */
  startedAt: number;
  finishedAt: number;
  retries: number;
}

/** Creates Role i and OAuthClient i for every i (in that order, interleaved), `concurrency` requests in flight. */
export async function createObjects(
  api: KubeClient,
  n: number,
  concurrency: number,
  progress: (created: number) => void,
): Promise<CreateResult> {
  const retries = { n: 0 };
  let created = 0;
  const startedAt = performance.now();
  await pool(2 * n, concurrency, async (j) => {
    const i = j >> 1;
    if (j % 2 === 0) await createWithRetry(api, 'Role', roleObject(roleName(i)), retries);
    else await createWithRetry(api, 'OAuthClient', clientObject(clientName(i), roleName(i)), retries);
    progress(++created);
  });
  return { startedAt, finishedAt: performance.now(), retries: retries.n };
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

/** Ready=True for the object's current generation, in both status.observedGeneration and the condition. */
export function isReady(o: KubeObject): boolean {
  const status = o['status'] as { observedGeneration?: number; conditions?: Condition[] } | undefined;
  const generation = o.metadata.generation ?? 0;
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  return (
    ready?.status === 'True' &&
    ready.observedGeneration === generation &&
    status?.observedGeneration === generation
  );
}

function describeNotReady(o: KubeObject): string {
  const status = o['status'] as { observedGeneration?: number; conditions?: Condition[] } | undefined;
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  return ready === undefined
    ? `${o.metadata.name}: no Ready condition`
    : `${o.metadata.name}: Ready=${ready.status} ${ready.reason ?? ''} (${ready.message ?? ''}), observedGeneration ${status?.observedGeneration} of ${o.metadata.generation}`;
}

/** Every object of a kind in the workload namespace, page by page. */
export async function listAll(api: KubeClient, kind: KindName | 'Secret' | 'Event'): Promise<KubeObject[]> {
  const type = kind === 'Secret' ? CORE_SECRETS : kind === 'Event' ? EVENTS : resourceOf(kind);
  const items: KubeObject[] = [];
  let token: string | undefined;
  do {
    const page = await api.list<KubeObject>(type, {
      namespace: WORKLOAD_NAMESPACE,
      limit: PAGE_SIZE,
      ...(token !== undefined ? { continue: token } : {}),
    });
    items.push(...page.items);
    token = page.continue;
  } while (token !== undefined);
  return items;
}

export interface ReadyCount {
  total: number;
  ready: number;
  /** Why one object is not Ready, when some are not. */
  example?: string;
  /** The latest Ready condition's lastTransitionTime (ms since the epoch, whole seconds) among the Ready ones. */
  lastTransitionMs?: number;
}

/** How many objects of `kind` whose names start with `prefix` are Ready for their generation. */
export async function countReady(api: KubeClient, kind: KindName, prefix: string): Promise<ReadyCount> {
  const items = (await listAll(api, kind)).filter((o) => o.metadata.name.startsWith(prefix));
  let ready = 0;
  let example: string | undefined;
  let lastTransitionMs: number | undefined;
  for (const o of items) {
    if (isReady(o)) {
      ready++;
      const status = o['status'] as { conditions?: (Condition & { lastTransitionTime?: string })[] };
      const at = Date.parse(status.conditions?.find((c) => c.type === 'Ready')?.lastTransitionTime ?? '');
      if (Number.isFinite(at) && (lastTransitionMs === undefined || at > lastTransitionMs))
        lastTransitionMs = at;
    } else example ??= describeNotReady(o);
  }
  return {
    total: items.length,
    ready,
    ...(example !== undefined ? { example } : {}),
    ...(lastTransitionMs !== undefined ? { lastTransitionMs } : {}),
  };
}

export interface TokenResult {
  ok: number;
  failed: number;
  firstFailure?: string;
  seconds: number;
}

const decode = (b64: string | undefined) =>
  b64 === undefined ? undefined : Buffer.from(b64, 'base64').toString('utf8');

/**
 * Reads every generated Secret `<client>-oauth` (one paginated list) and gets a token with its credentials for
 * each client, asking for the grant's and the Role's scope; the token must carry both. The first token is
 * also verified against the JWKS.
 */
export async function tokensForAll(
  api: KubeClient,
  tokenEndpoint: string,
  issuer: string,
  names: readonly string[],
  concurrency: number,
): Promise<TokenResult> {
  const started = performance.now();
  const secrets = new Map((await listAll(api, 'Secret')).map((s) => [s.metadata.name, s]));
  let ok = 0;
  let failed = 0;
  let firstFailure: string | undefined;
  let sample: string | undefined;
  const fail = (name: string, why: string) => {
    failed++;
    firstFailure ??= `${name}: ${why}`;
  };
  await pool(names.length, concurrency, async (i) => {
    const name = names[i] as string;
    const data = secrets.get(`${name}-oauth`)?.['data'] as Record<string, string> | undefined;
    const clientId = decode(data?.['client_id']);
    const secret = decode(data?.['client_secret']);
    if (clientId === undefined || secret === undefined)
      return fail(name, `Secret ${name}-oauth missing or incomplete`);
    const answer = await requestToken(tokenEndpoint, clientId, secret);
    if (answer.error !== undefined) return fail(name, answer.error);
    sample ??= answer.token;
    ok++;
  });
  if (sample !== undefined) {
    try {
      await jwtVerify(sample, createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`)), {
        issuer,
        audience: AUDIENCE,
        typ: 'at+jwt',
      });
    } catch (err) {
      fail('sample token', `does not verify: ${(err as Error).message}`);
    }
  }
  return {
    ok,
    failed,
    ...(firstFailure !== undefined ? { firstFailure } : {}),
    seconds: (performance.now() - started) / 1000,
  };
}

/** One client_credentials request (HTTP Basic); `error` says why it did not give a token with both scopes. */
export async function requestToken(
  tokenEndpoint: string,
  clientId: string,
  secret: string,
): Promise<{ token?: string; error?: string }> {
  try {
    const res = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: `${GRANT_SCOPE} ${ROLE_SCOPE}` }),
    });
    const text = await res.text();
    if (res.status !== 200) return { error: `${res.status} ${text.slice(0, 200)}` };
    const token = (JSON.parse(text) as { access_token?: string }).access_token;
    if (token === undefined) return { error: 'no access_token' };
    const scope = String(decodeJwt(token)['scope'] ?? '').split(' ');
    if (!scope.includes(GRANT_SCOPE) || !scope.includes(ROLE_SCOPE))
      return { error: `scope ${scope.join(' ')}` };
    return { token };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

export interface NewClientResult {
  /** Milliseconds from the create request to Ready observed, per repetition. */
  readyMs: number[];
  /** Milliseconds from the create request to a token issued with its Secret, per repetition. */
  tokenMs: number[];
}

/**
 * Creates one more OAuthClient (with a grant and an existing Role) at a time, polls it every `pollMs` until
 * Ready, then reads its Secret and gets a token. `pauseMs` between repetitions lets the operator go idle.
 */
export async function newClientLatency(
  api: KubeClient,
  tokenEndpoint: string,
  repeats: number,
  pollMs: number,
  pauseMs: number,
  timeoutMs: number,
): Promise<NewClientResult> {
  const result: NewClientResult = { readyMs: [], tokenMs: [] };
  for (let k = 0; k < repeats; k++) {
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
    const name = `new-client-${k}`;
    const started = performance.now();
    await api.create(resourceOf('OAuthClient'), WORKLOAD_NAMESPACE, clientObject(name, roleName(0)));
    let last: KubeObject | undefined;
    for (;;) {
      last = await api.get<KubeObject>(resourceOf('OAuthClient'), WORKLOAD_NAMESPACE, name);
      if (last !== undefined && isReady(last)) break;
      if (performance.now() - started > timeoutMs) {
        throw new Error(
          `${name} not Ready after ${timeoutMs / 1000}s: ${last ? describeNotReady(last) : 'gone'}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    result.readyMs.push(performance.now() - started);
    const secret = await api.get<KubeObject>(CORE_SECRETS, WORKLOAD_NAMESPACE, `${name}-oauth`);
    const data = secret?.['data'] as Record<string, string> | undefined;
    const answer = await requestToken(
      tokenEndpoint,
      decode(data?.['client_id']) ?? '',
      decode(data?.['client_secret']) ?? '',
    );
    if (answer.error !== undefined) throw new Error(`${name} is Ready but gets no token: ${answer.error}`);
    result.tokenMs.push(performance.now() - started);
  }
  return result;
}

/** The Events the operator recorded in the workload namespace, counted by `type/reason`. */
export async function eventReasons(api: KubeClient): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const e of await listAll(api, 'Event')) {
    const key = `${String(e['type'])}/${String(e['reason'])}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
