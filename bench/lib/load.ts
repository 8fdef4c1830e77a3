/**
 * The load generator: a closed loop of requests (one in flight per connection) for a warm-up, then for a
 * measured window. Runs in its own process so it shares an event loop with no server. A {@link LoadConfig}
 * asks for client_credentials tokens with a shared secret; a {@link KindLoadConfig} for tokens with a
 * `private_key_jwt` assertion (signed before the clock starts) or a federated workload token, or for
 * introspection answers. Prints one {@link LoadResult} line. Started by token-bench.ts, peers-bench.ts and
 * scale-bench.ts.
 */

import './child-guard.ts';
import { performance } from 'node:perf_hooks';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { Pool } from 'undici';
import { signAssertions } from './assertion-pool.ts';
import { peopleRequests } from './people-load.ts';
import { treeUsage } from './proc-tree.ts';
import {
  JWT_BEARER_ASSERTION_TYPE,
  readConfig,
  type KindLoadConfig,
  type LoadConfig,
  type LoadResult,
} from './protocol.ts';

const config = readConfig<LoadConfig | KindLoadConfig>();
const FORM = 'application/x-www-form-urlencoded';

/** What the loop sends and what it counts as an answer. */
interface Requests {
  endpoint: URL;
  headers: Record<string, string>;
  /** The next request's body on connection `worker`; undefined once a pool of one-time bodies is used up. */
  next(worker: number): string | undefined;
  /** Sees each successful answer on connection `worker`; a message says why it is not what was asked for. */
  answered?(worker: number, text: string): string | undefined;
  /** Whether a used-up pool ends the measured window (after the warm-up) rather than invalidating the run. */
  poolEndsWindow?: boolean;
  /** What a successful answer contains. */
  marker: string;
  /** Why the loop stopped early, if it did. */
  exhausted(): string | undefined;
  /** Checks the last measured answer, so we know the server did the real work. */
  check(text: string | undefined): Promise<LoadResult['sample']>;
}

// RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

function tokenForm(extra: Record<string, string>): string {
  return new URLSearchParams({
    grant_type: 'client_credentials',
    audience: config.audience,
    ...extra,
  }).toString();
}

function always(endpoint: string, headers: Record<string, string>, body: string): Requests {
  return {
    endpoint: new URL(endpoint),
    headers,
    next: () => body,
    marker: '"access_token"',
    exhausted: () => undefined,
    check: verifyToken,
  };
}

async function requests(): Promise<Requests> {
  if (!('request' in config)) {
    const body = config.form === undefined ? tokenForm({}) : new URLSearchParams(config.form).toString();
    return always(
      config.tokenEndpoint,
      { 'content-type': FORM, authorization: basic(config.clientId, config.clientSecret) },
      body,
    );
  }
  const request = config.request;
  switch (request.kind) {
    case 'private_key_jwt': {
      const bodies = signAssertions(
        { ...request.signer, clientId: config.clientId },
        request.assertionAudience,
        request.poolSize,
        Date.now() / 1000,
        request.assertionLifetimeSeconds,
      ).map((assertion) =>
        tokenForm({ client_assertion_type: JWT_BEARER_ASSERTION_TYPE, client_assertion: assertion }),
      );
      let used = 0;
      return {
        ...always(config.endpoint, { 'content-type': FORM }, ''),
        next: () => bodies[used++],
        exhausted: () =>
          used > bodies.length
            ? `all ${bodies.length} assertions were used before the run ended: the pool is too small`
            : undefined,
      };
    }
    case 'federation':
      return always(
        config.endpoint,
        { 'content-type': FORM },
        tokenForm({
          client_id: config.clientId,
          client_assertion_type: JWT_BEARER_ASSERTION_TYPE,
          client_assertion: request.workloadToken,
        }),
      );
    case 'introspection':
      return {
        ...always(
          config.endpoint,
          { 'content-type': FORM, authorization: basic(config.clientId, request.clientSecret) },
          new URLSearchParams({ token: request.token, token_type_hint: 'access_token' }).toString(),
        ),
        marker: '"active":true',
        check: (text) => checkIntrospection(text, request.token),
      };
    case 'authorization_code':
    case 'refresh_token':
      return peopleRequests(config as KindLoadConfig, request);
  }
}

let latencies = new Float64Array(1 << 16);
let ok = 0;
let issued = 0;
let failed = 0;
let firstFailure: string | undefined;
let sampleBody: string | undefined;

function record(ms: number): void {
  if (ok === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[ok++] = ms;
}

function failure(what: string): void {
  failed++;
  firstFailure ??= what;
}

async function run(): Promise<LoadResult> {
  const req = await requests();
  const serverPids = 'request' in config && 'serverPids' in config.request ? config.request.serverPids : [];
  const serverCpu = () => serverPids.reduce((n, pid) => n + (treeUsage(pid)?.cpuSeconds ?? Number.NaN), 0);
  const serverCpuBefore = serverCpu();
  const reset = config.newConnectionPerRequest === true;
  const pool = new Pool(req.endpoint.origin, {
    connections: config.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const measureFrom = start + config.warmupSeconds * 1000;
  let measureTo = measureFrom + config.measureSeconds * 1000;
  let poolEndedWindow = false;

  const loop = async (worker: number): Promise<void> => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= measureTo) return;
      const body = req.next(worker);
      if (body === undefined) {
        if (req.poolEndsWindow === true && t0 > measureFrom) {
          measureTo = Math.min(measureTo, t0);
          poolEndedWindow = true;
        }
        return;
      }
      let problem: string | undefined;
      try {
        const res = await pool.request({
          path: req.endpoint.pathname,
          method: 'POST',
          headers: req.headers,
          body,
          reset,
        });
        const text = await res.body.text();
        const t1 = performance.now();
        if (res.statusCode < 200 || res.statusCode > 299 || !text.includes(req.marker)) {
          failure(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
        } else if ((problem = req.answered?.(worker, text)) !== undefined) {
          failure(problem);
        } else {
          issued++;
          if (t0 >= measureFrom && t1 <= measureTo) {
            record(t1 - t0);
            sampleBody = text;
          }
        }
      } catch (err) {
        failure(`transport error: ${(err as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: config.connections }, (_, worker) => loop(worker)));
  const serverCpuSeconds = serverCpu() - serverCpuBefore;
  await pool.close();
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedSeconds = (performance.now() - start) / 1000;
  const ranOut = poolEndedWindow ? undefined : req.exhausted();
  if (ranOut !== undefined) failure(ranOut);

  const seconds = (measureTo - measureFrom) / 1000;
  return {
    ...(serverPids.length > 0 && Number.isFinite(serverCpuSeconds) ? { serverCpuSeconds } : {}),
    ok,
    issued,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    elapsedSeconds,
    failed,
    ...(firstFailure === undefined ? {} : { firstFailure }),
    seconds,
    requestsPerSecond: ok / seconds,
    latencies: Buffer.from(latencies.buffer, 0, ok * Float64Array.BYTES_PER_ELEMENT).toString('base64'),
    sample: await req.check(sampleBody),
  };
}

/** Verifies the last measured token as a resource server would. */
async function verifyToken(text: string | undefined): Promise<LoadResult['sample']> {
  if (text === undefined) return { valid: false, error: 'no token was issued in the measured window' };
  try {
    const token = (JSON.parse(text) as { access_token: string }).access_token;
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(config.jwksUri)), {
      issuer: config.issuer,
      audience: config.audience,
      typ: config.typ ?? 'at+jwt',
      algorithms: [config.alg],
      requiredClaims: ['sub', 'client_id', 'iat', 'exp', 'jti'],
    });
    const subjectOk = config.subjectIsClient === false || payload.sub === config.clientId;
    if (!subjectOk || payload.client_id !== config.clientId) {
      throw new Error(`sub/client_id is not ${config.clientId}`);
    }
    if (payload.scope !== config.scope) throw new Error(`scope is ${String(payload.scope)}`);
    if ((payload.exp as number) - (payload.iat as number) !== config.lifetimeSeconds) {
      throw new Error(`exp - iat is not ${config.lifetimeSeconds}`);
    }
    return {
      valid: true,
      headerKeys: Object.keys(decodeProtectedHeader(token)),
      payloadKeys: Object.keys(payload),
    };
  } catch (err) {
    return { valid: false, error: (err as Error).message };
  }
}

/** Checks the last measured answer describes the introspected token (RFC 7662 §2.2). */
async function checkIntrospection(text: string | undefined, token: string): Promise<LoadResult['sample']> {
  if (text === undefined) return { valid: false, error: 'no introspection answered in the measured window' };
  try {
    const answer = JSON.parse(text) as Record<string, unknown>;
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(config.jwksUri)), {
      issuer: config.issuer,
      audience: config.audience,
      typ: 'at+jwt',
      algorithms: [config.alg],
    });
    const expected: Record<string, unknown> = { active: true, token_type: 'Bearer', ...payload };
    for (const [name, value] of Object.entries(expected)) {
      if (answer[name] !== value) {
        throw new Error(`${name} is ${JSON.stringify(answer[name])}, expected ${JSON.stringify(value)}`);
      }
    }
    return { valid: true, headerKeys: [], payloadKeys: Object.keys(answer) };
  } catch (err) {
    return { valid: false, error: (err as Error).message };
  }
}

run().then(
  (result) => {
    // stdout is a pipe, written asynchronously: exit once the line is out.
    process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
  },
  (err: unknown) => {
    process.stderr.write(`load: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
