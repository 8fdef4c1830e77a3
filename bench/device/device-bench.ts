/**
 * `npm run bench:device` (issue 13): 1,000 devices polling the token endpoint at once (RFC 8628), on both runtime
 * state backends, one token server in this process.
 *
 * - **Too soon**: 1,000 waiting devices poll in a closed loop, far faster than their interval: every answer after
 *   the first is `slow_down`.
 * - **On time**: 1,000 waiting devices each poll once per sweep, the server's clock moved past their interval
 *   between sweeps: every answer is `authorization_pending`.
 *
 * Each round has devices of its own, made and polled once (the first poll of a device reads its record) before
 * the clock starts.
 * - **Floor**, side by side with each (alternating rounds): the same requests with a device code of the wrong
 *   shape, refused before the store is asked. What a poll costs beyond it is the store and the decision.
 *
 * Reported per kind: polls per second, CPU per poll (this process: server and load generator together, the same
 * for the floor), and store operations per poll on device authorizations (a counting wrapper around the real
 * store, by operation: each is one statement on PostgreSQL, one on SQLite). Load: an undici Pool of
 * `--connections` keep-alive connections. The devices come from 127.0.0.1, so the per-address share of pending
 * device authorizations is raised for the bench (as a load test from one address would).
 *
 * Flags: `--seconds N` per measurement (default 5), `--rounds N` (3), `--connections N` (64), `--devices N`
 * (1000), `--backend embedded|postgres|both` (both), `--no-save`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Pool } from 'undici';
import { EventBus } from '../../src/events.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { openEmbeddedState } from '../../src/state/embedded/embedded-state.ts';
import { openPostgresState } from '../../src/state/postgres/postgres-state.ts';
import type { RuntimeState } from '../../src/state/runtime-state.ts';
import { testKeys } from '../../test/http/harness.ts';
import { FixedSource } from '../../test/http/world.ts';
import { DEVICE_CLI, DEVICE_GRANT, deviceWorld } from '../../test/people/device-support.ts';
import { startPostgres } from '../../test/support/postgres.ts';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    connections: { type: 'string' },
    devices: { type: 'string' },
    backend: { type: 'string' },
    'no-save': { type: 'boolean', default: false },
  },
});
const SECONDS = Number(values.seconds ?? 5);
const ROUNDS = Number(values.rounds ?? 3);
const CONNECTIONS = Number(values.connections ?? 64);
const DEVICES = Number(values.devices ?? 1000);
const BACKENDS =
  values.backend === undefined || values.backend === 'both' ? ['embedded', 'postgres'] : [values.backend];
/** A device code of the wrong shape: refused with invalid_grant before the store is asked. */
const FLOOR_CODE = 'not-a-device-code';

/** The store, counting each operation on device authorizations. */
function counting(state: RuntimeState): { state: RuntimeState; ops: Map<string, number> } {
  const ops = new Map<string, number>();
  const counted = new Proxy(state, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (args[0] === 'device_authorization') ops.set(String(name), (ops.get(String(name)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { state: counted, ops };
}

interface World {
  servers: RunningServers;
  pool: Pool;
  ops: Map<string, number>;
  clock: { offsetMs: number };
  close(): Promise<void>;
}

async function startWorld(backend: string): Promise<World> {
  const clock = { offsetMs: 0 };
  const now = () => Date.now() + clock.offsetMs;
  const keys = await testKeys();
  let inner: RuntimeState;
  let stopDb: () => Promise<void> = async () => {};
  const folder = await mkdtemp(join(tmpdir(), 'latchkey-device-bench-'));
  if (backend === 'postgres') {
    const db = await startPostgres();
    inner = await openPostgresState({
      url: db.url,
      timeouts: { connectTimeoutMs: 5_000, statementTimeoutMs: 10_000, idleTimeoutMs: 30_000 },
    });
    stopDb = () => db.stop();
  } else {
    inner = await openEmbeddedState({ path: join(folder, 'state.db'), clock: now });
  }
  const { state, ops } = counting(inner);
  const servers = await startServers({
    source: new FixedSource(deviceWorld({ keys })),
    port: 0,
    opsPort: 0,
    now,
    events: new EventBus(),
    ready: () => true,
    state,
    pendingLimits: {
      requestsPerAddress: 1000,
      upstreamLoginsPerAddress: 1000,
      pushedPerClient: 10_000,
      devicesPerAddress: 1_000_000,
    },
  });
  const pool = new Pool(`http://127.0.0.1:${servers.port}`, { connections: CONNECTIONS, pipelining: 1 });
  return {
    servers,
    pool,
    ops,
    clock,
    async close() {
      await pool.close();
      await servers.close();
      await inner.close();
      await stopDb();
      await rm(folder, { recursive: true, force: true });
    },
  };
}

async function post(
  pool: Pool,
  path: string,
  form: Record<string, string>,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await pool.request({
    method: 'POST',
    path,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> };
}

async function newDevices(world: World, n: number): Promise<string[]> {
  const codes: string[] = [];
  await inParallel(n, async (i) => {
    const { status, body } = await post(world.pool, '/oauth2/device_authorization', {
      client_id: DEVICE_CLI,
      scope: 'openid',
    });
    if (status !== 200) throw new Error(`device authorization answered ${status}: ${JSON.stringify(body)}`);
    codes[i] = body.device_code as string;
  });
  return codes;
}

/** Runs `work(i)` for i in 0..n-1 with CONNECTIONS in flight. */
async function inParallel(n: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(CONNECTIONS, n) }, async () => {
      while (next < n) await work(next++);
    }),
  );
}

function poll(world: World, code: string) {
  return post(world.pool, '/oauth2/token', {
    grant_type: DEVICE_GRANT,
    device_code: code,
    client_id: DEVICE_CLI,
  });
}

interface Measure {
  polls: number;
  seconds: number;
  cpuMicros: number;
  ops: Map<string, number>;
  answers: Map<string, number>;
}

async function measure(
  world: World,
  run: (count: (error: string) => void) => Promise<void>,
): Promise<Measure> {
  const answers = new Map<string, number>();
  let polls = 0;
  const opsBefore = new Map(world.ops);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run((error) => {
    polls += 1;
    answers.set(error, (answers.get(error) ?? 0) + 1);
  });
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const ops = new Map([...world.ops].map(([name, n]) => [name, n - (opsBefore.get(name) ?? 0)]));
  return { polls, seconds, cpuMicros: used.user + used.system, ops, answers };
}

/** Every device polls in a closed loop for SECONDS: all answers after each one's first are slow_down. */
function tooSoon(world: World, codes: readonly string[], floor: boolean) {
  return measure(world, async (count) => {
    const deadline = performance.now() + SECONDS * 1000;
    let next = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < deadline) {
          const code = floor ? FLOOR_CODE : (codes[next++ % codes.length] as string);
          count(String((await poll(world, code)).body.error ?? 'issued'));
        }
      }),
    );
  });
}

/** Sweeps: every device polls once, then the clock moves past the largest interval; for SECONDS. */
function onTime(world: World, codes: readonly string[], floor: boolean) {
  return measure(world, async (count) => {
    const deadline = performance.now() + SECONDS * 1000;
    while (performance.now() < deadline) {
      // Past the interval (5 s, with the slack), never near the codes' 10 minutes.
      if (!floor) world.clock.offsetMs += 5_000;
      await inParallel(codes.length, async (i) => {
        const code = floor ? FLOOR_CODE : (codes[i] as string);
        count(String((await poll(world, code)).body.error ?? 'issued'));
      });
    }
  });
}

interface Row {
  backend: string;
  kind: string;
  device: Measure[];
  floor: Measure[];
}

const sum = (ms: Measure[], f: (m: Measure) => number) => ms.reduce((a, m) => a + f(m), 0);
const perSecond = (ms: Measure[]) => sum(ms, (m) => m.polls) / sum(ms, (m) => m.seconds);
const cpuPer = (ms: Measure[]) => sum(ms, (m) => m.cpuMicros) / sum(ms, (m) => m.polls);
const opsPer = (ms: Measure[]) =>
  sum(ms, (m) => [...m.ops.values()].reduce((a, n) => a + n, 0)) / sum(ms, (m) => m.polls);

/** Operations per poll by name, e.g. `compareAndSwap 1.00`. */
function opsByName(ms: Measure[]): string {
  const total = new Map<string, number>();
  for (const m of ms) for (const [k, v] of m.ops) if (v > 0) total.set(k, (total.get(k) ?? 0) + v);
  const polls = sum(ms, (m) => m.polls);
  return [...total].map(([k, v]) => `${k} ${(v / polls).toFixed(2)}`).join(', ');
}

function answersOf(ms: Measure[]): string {
  const total = new Map<string, number>();
  for (const m of ms) for (const [k, v] of m.answers) total.set(k, (total.get(k) ?? 0) + v);
  return [...total].map(([k, v]) => `${k} ${v}`).join(', ');
}

function report(rows: Row[]): string {
  const lines = [
    `# bench:device, ${new Date().toISOString().slice(0, 10)}`,
    '',
    `${DEVICES} devices per round, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s per kind and server, alternating with the floor.`,
    'CPU is this process (server and load generator). Store ops: operations on device authorizations per poll.',
    '',
    '| backend | kind | polls/s | floor/s | CPU µs/poll | floor CPU µs | CPU ratio | store ops/poll | by operation | answers |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.backend} | ${r.kind} | ${perSecond(r.device).toFixed(0)} | ${perSecond(r.floor).toFixed(0)} | ${cpuPer(r.device).toFixed(0)} | ${cpuPer(r.floor).toFixed(0)} | ${(cpuPer(r.device) / cpuPer(r.floor)).toFixed(2)} | ${opsPer(r.device).toFixed(2)} | ${opsByName(r.device)} | ${answersOf(r.device)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const backend of BACKENDS) {
    const world = await startWorld(backend);
    try {
      for (const [kind, run] of [
        ['too soon (slow_down)', tooSoon],
        ['on time (authorization_pending)', onTime],
      ] as const) {
        const row: Row = { backend, kind, device: [], floor: [] };
        for (let round = 0; round < ROUNDS; round++) {
          const codes = await newDevices(world, DEVICES);
          // Each device's first poll reads its record: done before the clock starts.
          await inParallel(codes.length, async (i) => void (await poll(world, codes[i] as string)));
          const order = round % 2 === 0 ? [false, true] : [true, false];
          for (const floor of order) (floor ? row.floor : row.device).push(await run(world, codes, floor));
        }
        rows.push(row);
        process.stderr.write(`[bench:device] ${backend}, ${kind}: done\n`);
      }
    } finally {
      await world.close();
    }
  }
  const text = report(rows);
  process.stdout.write(text);
  if (!values['no-save']) {
    const file = new URL(`../results/${new Date().toISOString().slice(0, 10)}-device.md`, import.meta.url);
    await writeFile(file, text);
    process.stderr.write(`[bench:device] saved ${file.pathname}\n`);
  }
}

await main();
