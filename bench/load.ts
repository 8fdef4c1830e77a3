/**
 * The load generator: a closed loop of client_credentials requests over keep-alive connections (one request
 * in flight per connection) for a warm-up, then for a measured window. Runs in its own process so it shares
 * an event loop with neither server. Prints one {@link LoadResult} line. Started by token-bench.ts.
 */

import './child-guard.ts';
import { performance } from 'node:perf_hooks';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { Pool } from 'undici';
import { readConfig, type LoadConfig, type LoadResult } from './protocol.ts';

const config = readConfig<LoadConfig>();
const endpoint = new URL(config.tokenEndpoint);
// RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
const basic = Buffer.from(
  `${encodeURIComponent(config.clientId)}:${encodeURIComponent(config.clientSecret)}`,
).toString('base64');
const headers = {
  'content-type': 'application/x-www-form-urlencoded',
  authorization: `Basic ${basic}`,
};
const body = new URLSearchParams({ grant_type: 'client_credentials', audience: config.audience }).toString();

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
  const pool = new Pool(endpoint.origin, {
    connections: config.connections,
    pipelining: 1,
    keepAliveTimeout: 30_000,
  });
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const measureFrom = start + config.warmupSeconds * 1000;
  const measureTo = measureFrom + config.measureSeconds * 1000;

  const loop = async (): Promise<void> => {
    for (;;) {
      const t0 = performance.now();
      if (t0 >= measureTo) return;
      try {
        const res = await pool.request({ path: endpoint.pathname, method: 'POST', headers, body });
        const text = await res.body.text();
        const t1 = performance.now();
        if (res.statusCode < 200 || res.statusCode > 299 || !text.includes('"access_token"')) {
          failure(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`);
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
  await Promise.all(Array.from({ length: config.connections }, loop));
  await pool.close();
  const cpu = process.cpuUsage(cpuBefore);
  const elapsedSeconds = (performance.now() - start) / 1000;

  const seconds = config.measureSeconds;
  return {
    ok,
    issued,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    elapsedSeconds,
    failed,
    ...(firstFailure === undefined ? {} : { firstFailure }),
    seconds,
    requestsPerSecond: ok / seconds,
    latencies: Buffer.from(latencies.buffer, 0, ok * Float64Array.BYTES_PER_ELEMENT).toString('base64'),
    sample: await verifySample(sampleBody),
  };
}

/** Verifies the last measured token as a resource server would, so we know the server did the real work. */
async function verifySample(text: string | undefined): Promise<LoadResult['sample']> {
  if (text === undefined) return { valid: false, error: 'no token was issued in the measured window' };
  try {
    const token = (JSON.parse(text) as { access_token: string }).access_token;
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(config.jwksUri)), {
      issuer: config.issuer,
      audience: config.audience,
      typ: 'at+jwt',
      algorithms: [config.alg],
      requiredClaims: ['sub', 'client_id', 'iat', 'exp', 'jti'],
    });
    if (payload.sub !== config.clientId || payload.client_id !== config.clientId) {
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
