/**
 * `npm run bench:state` (issue 11): the runtime state layer on both backends.
 *
 * 1. consume-once and compare-and-swap operations per second, embedded (SQLite file in a temporary folder) and
 *    PostgreSQL (a real server from test/support/postgres.ts on 127.0.0.1), with `--concurrency` operations in
 *    flight on distinct keys.
 * 2. private_key_jwt tokens per second of one token server in this process, with the replay check on
 *    PostgreSQL, as a ratio of the same server with the in-memory check, in alternating rounds. The load is a
 *    closed loop of `--connections` keep-alive connections (undici), each assertion signed before the clock
 *    starts. Target: ≥ 0.8.
 *
 * Flags: `--quick` (short rounds), `--seconds N` per measurement, `--rounds N`, `--connections N`,
 * `--concurrency N`. Results are printed, not saved: a short run on a shared machine is a rough figure.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { exportJWK, generateKeyPair } from 'jose';
import { Pool } from 'undici';
import { EventBus } from '../../src/events.ts';
import { startServers } from '../../src/server/start.ts';
import { openEmbeddedState } from '../../src/state/embedded/embedded-state.ts';
import { openPostgresState } from '../../src/state/postgres/postgres-state.ts';
import type { RuntimeState } from '../../src/state/runtime-state.ts';
import { parseClientKey } from '../../src/store/client-keys.ts';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import { api, client, FixedSource, grant, snapshot } from '../../test/http/world.ts';
import { startPostgres } from '../../test/support/postgres.ts';
import { signAssertions } from '../lib/assertion-pool.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string' },
    concurrency: { type: 'string' },
  },
});
const SECONDS = Number(values.seconds ?? (values.quick ? 2 : 10));
const ROUNDS = Number(values.rounds ?? (values.quick ? 3 : 5));
const CONNECTIONS = Number(values.connections ?? 32);
const CONCURRENCY = Number(values.concurrency ?? 16);
const ISSUER = 'http://latchkey.bench';
const CLIENT = 'bench-jwt.bench';

/** Runs `op(i, worker)` in CONCURRENCY workers for SECONDS; returns operations per second. */
async function opsPerSecond(op: (i: number, worker: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      while (performance.now() < deadline) await op(next++, worker);
    }),
  );
  return next / ((performance.now() - started) / 1000);
}

async function stateOps(state: RuntimeState): Promise<{ consume: number; cas: number }> {
  const now = Date.now();
  const later = now + 3_600_000;
  // consume-once: each operation inserts a record and consumes it, as a code or device code is used; the
  // figure counts consumes, each with its insert.
  const consume = await opsPerSecond(async (i) => {
    const key = `c-${now}-${i}`;
    await state.insert('assertion_jti', key, { value: { i }, expiresAtMs: later }, now);
    if ((await state.consume('assertion_jti', key, now)) === undefined) throw new Error('lost a record');
  });
  // compare-and-swap: rotation, as of a refresh-token family: each worker swaps its own record, whose
  // version it knows, again and again.
  const versions: number[] = [];
  for (let k = 0; k < CONCURRENCY; k++) {
    await state.insert('revoked_token', `r-${now}-${k}`, { value: 0, expiresAtMs: later }, now);
    versions.push(1);
  }
  const cas = await opsPerSecond(async (_i, k) => {
    const record = { value: versions[k], expiresAtMs: later };
    const next = await state.compareAndSwap('revoked_token', `r-${now}-${k}`, versions[k]!, record, now);
    if (next === undefined) throw new Error('lost a swap');
    versions[k] = next;
  });
  return { consume, cas };
}

async function tokenServer(state: RuntimeState | undefined) {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'bench-1' };
  const parsed = parseClientKey(jwk);
  if (!parsed.ok) throw new Error(parsed.message);
  const rs = api('bench', 'ES256', ['bench:read'], 300);
  const source = new FixedSource(
    snapshot(keySetOf(await generateSigningKeys()), {
      apis: [rs],
      clients: [
        {
          ...client({ clientId: CLIENT, authMethod: 'private_key_jwt', grants: [grant(rs)] }),
          assertionKeys: { kind: 'jwks', keys: [parsed.key] },
        },
      ],
    }),
  );
  const servers = await startServers({
    source,
    issuer: ISSUER,
    port: 0,
    opsPort: 0,
    now: () => Date.now(),
    events: new EventBus(),
    ready: () => true,
    ...(state === undefined
      ? { replayLimits: { capacity: 10_000_000, perClientCeiling: 10_000_000 } }
      : { state }),
  });
  return {
    servers,
    signer: {
      clientId: CLIENT,
      privateJwk: await exportJWK(privateKey),
      kid: 'bench-1',
      alg: 'ES256' as const,
    },
  };
}

/** private_key_jwt tokens per second over SECONDS, every assertion signed before the clock starts. */
async function tokensPerSecond(state: RuntimeState | undefined, expectedRate: number): Promise<number> {
  const { servers, signer } = await tokenServer(state);
  const count = Math.ceil(Math.max(4_000 * SECONDS, expectedRate * SECONDS * 2));
  const assertions = signAssertions(signer, ISSUER, count, Date.now() / 1000, SECONDS + 60);
  const pool = new Pool(`http://127.0.0.1:${servers.port}`, { connections: CONNECTIONS, pipelining: 1 });
  let next = 0;
  let ok = 0;
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < deadline && next < assertions.length) {
          const body = new URLSearchParams({
            grant_type: 'client_credentials',
            client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
            client_assertion: assertions[next++]!,
          }).toString();
          const res = await pool.request({
            path: '/oauth2/token',
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body,
          });
          const text = await res.body.text();
          if (res.statusCode !== 200) throw new Error(`${res.statusCode} ${text}`);
          ok++;
        }
      }),
    );
    if (next >= assertions.length) throw new Error('the assertion pool ran out: raise its size');
    return ok / ((performance.now() - started) / 1000);
  } finally {
    await pool.close();
    await servers.close();
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US').padStart(9);

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-state-bench-'));
  const db = await startPostgres();
  const embedded = await openEmbeddedState({ path: join(dir, 'runtime-state.sqlite') });
  const postgres = await openPostgresState({ url: db.url, maxConnections: 10 });
  try {
    console.log(
      `state bench: ${SECONDS}s per measurement, ${ROUNDS} rounds, ${CONCURRENCY} operations in flight, ${CONNECTIONS} connections`,
    );
    console.log('backend      consume-once/s  compare-and-swap/s');
    for (const [name, state] of [
      ['embedded', embedded],
      ['postgres', postgres],
    ] as const) {
      const { consume, cas } = await stateOps(state);
      console.log(`${name.padEnd(12)} ${fmt(consume)}       ${fmt(cas)}`);
    }
    console.log('\nprivate_key_jwt tokens/s  in-memory replay  replay on PostgreSQL  ratio');
    const ratios: number[] = [];
    let rate = 0;
    for (let round = 1; round <= ROUNDS; round++) {
      const memory = await tokensPerSecond(undefined, rate);
      rate = Math.max(rate, memory);
      const shared = await tokensPerSecond(postgres, rate);
      ratios.push(shared / memory);
      console.log(
        `round ${round}                  ${fmt(memory)}         ${fmt(shared)}       ${(shared / memory).toFixed(2)}`,
      );
    }
    const sorted = [...ratios].sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)]!;
    const range = `${sorted[0]!.toFixed(2)}-${sorted.at(-1)!.toFixed(2)}`;
    console.log(
      `median ratio ${median.toFixed(2)} (${range}; target >= 0.80): ${median >= 0.8 ? 'met' : 'MISSED'}`,
    );
  } finally {
    await embedded.close();
    await postgres.close();
    await db.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
