/**
 * `npm run bench:management`: listing clients through a management API with 10,000 of them, Latchkey's
 * `GET /api/v1/clients` and Keycloak's admin API `GET /admin/realms/{realm}/clients?first=…&max=100`, measured
 * in one run by the same client: one request in flight on one keep-alive connection, pages cycled through the
 * whole list, latency from sending the request to the parsed JSON. Prints p50, p99 and the ratio per case and
 * writes bench/results/<date>-management.md. See bench/README.md.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stopAll } from '../lib/children.ts';
import { parseBenchArgs, positive, runBench } from '../lib/cli.ts';
import { secretData, startLatchkeyDev, type DevServer } from '../lib/latchkey-dev.ts';
import { commit, machine, saveResults } from '../lib/run-info.ts';
import { describeMachine } from '../lib/report.ts';
import { KEYCLOAK_VERSION, REALM } from '../peers/keycloak.ts';
import { removeKeycloakData, START } from '../peers/peer-servers.ts';
import { managementManifests, ADMIN, NAMESPACES } from './management-world.ts';

const USAGE = `Usage: npm run bench:management -- [options]

  --clients N        clients registered in each server (default 10000)
  --requests N       measured requests per case and server (default 2000)
  --no-keycloak      measure Latchkey alone
  --quick            1,000 clients, 300 requests, not saved: checks the bench works
  --no-save          do not write bench/results/<date>-management.md
`;

const PAGE_SIZE = 100;
const WARMUP_REQUESTS = 300;

interface Options {
  clients: number;
  requests: number;
  keycloak: boolean;
  save: boolean;
}

/** One way to list a page: the path of page `i` (0-based) of a server. */
interface Case {
  name: string;
  latchkey: (page: number) => string;
  keycloak?: (page: number) => string;
}

const CASES: readonly Case[] = [
  {
    name: 'a page of 100 sorted by name',
    latchkey: (i) => `/clients?page=${i + 1}&page_size=${PAGE_SIZE}&sort=name`,
    keycloak: (i) => `/${REALM}/clients?first=${i * PAGE_SIZE}&max=${PAGE_SIZE}`,
  },
  {
    name: 'the same, two fields (Keycloak: briefRepresentation)',
    latchkey: (i) => `/clients?page=${i + 1}&page_size=${PAGE_SIZE}&sort=name&fields=client_id,name`,
    keycloak: (i) => `/${REALM}/clients?first=${i * PAGE_SIZE}&max=${PAGE_SIZE}&briefRepresentation=true`,
  },
  {
    name: 'one namespace, newest first (Latchkey only)',
    // Page i of the list is page ⌊i / 10⌋ of namespace i mod 10: every namespace holds a tenth of the pages.
    latchkey: (i) =>
      `/clients?page=${Math.floor(i / NAMESPACES.length) + 1}&page_size=${PAGE_SIZE}&sort=-created_at:name&namespace=${NAMESPACES[i % NAMESPACES.length]}`,
  },
];

interface Latencies {
  p50: number;
  p99: number;
  max: number;
}

function percentiles(ms: number[]): Latencies {
  const sorted = [...ms].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? NaN };
}

/** A server's management API: a GET, and what renews its token before a request is timed. */
interface Lister {
  get: (path: string) => Promise<unknown>;
  prepare: () => Promise<void>;
}

/**
 * Requests `path(i)` one after another, cycling through `pages`; the first {@link WARMUP_REQUESTS} are not
 * measured, and a token renewal is never inside a measured request.
 */
async function measure(
  lister: Lister,
  path: (page: number) => string,
  pages: number,
  o: Options,
): Promise<Latencies> {
  const { get, prepare } = lister;
  const ms: number[] = [];
  for (let i = 0; i < WARMUP_REQUESTS + o.requests; i++) {
    await prepare();
    const started = performance.now();
    const body = (await get(path(i % pages))) as { items?: unknown[] } | unknown[];
    const took = performance.now() - started;
    const items = Array.isArray(body) ? body : body.items;
    if (items === undefined || items.length === 0) throw new Error(`${path(i % pages)} answered no items`);
    if (i >= WARMUP_REQUESTS) ms.push(took);
  }
  return percentiles(ms);
}

let root: string | undefined;

async function latchkeyGet(o: Options): Promise<Lister & { server: DevServer }> {
  root = await mkdtemp(join(tmpdir(), 'latchkey-management-bench-'));
  const server = await startLatchkeyDev(root, {
    name: 'Latchkey',
    manifests: managementManifests(o.clients),
    file: 'clients.yaml',
    maxSeconds: 3600,
    readyTimeoutMs: 600_000,
    options: ['--management-rate-limit', '1000000'],
  });
  const data = await secretData(
    join(root, 'state', 'secrets', ADMIN.namespace, `${ADMIN.name}-oauth`) + '.yaml',
  );
  const api = `${server.issuer}/api/v1`;
  const tokenRequest = async (): Promise<string> => {
    const res = await fetch(server.tokenEndpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${data['client_id']}:${data['client_secret']}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', audience: api }),
    });
    if (!res.ok) throw new Error(`management token: HTTP ${res.status} ${await res.text()}`);
    return ((await res.json()) as { access_token: string }).access_token;
  };
  let token = await tokenRequest();
  let issuedAt = performance.now();
  return {
    server,
    // Tokens live 5 minutes: a new one well before, outside the measured request.
    async prepare() {
      if (performance.now() - issuedAt < 240_000) return;
      token = await tokenRequest();
      issuedAt = performance.now();
    },
    get: async (path) => {
      const answer = await fetch(`${api}${path}`, { headers: { authorization: `Bearer ${token}` } });
      if (!answer.ok)
        throw new Error(`GET ${path}: HTTP ${answer.status} ${(await answer.text()).slice(0, 200)}`);
      return JSON.parse(await answer.text());
    },
  };
}

function markdown(o: Options, rows: { name: string; latchkey: Latencies; keycloak?: Latencies }[]): string {
  const f = (n: number) => n.toFixed(2);
  const lines = [
    `# Management API: listing ${o.clients.toLocaleString('en-US')} clients`,
    '',
    `${describeMachine(machine())}; commit ${commit()}. One request in flight on one keep-alive connection, ` +
      `${o.requests} measured requests per case after ${WARMUP_REQUESTS} unmeasured, pages cycled through the list; ` +
      'milliseconds from sending the request to the parsed JSON body.',
    '',
    `| case | Latchkey p50 | Latchkey p99 | Latchkey max | ${o.keycloak ? `Keycloak ${KEYCLOAK_VERSION} p50 | Keycloak p99 | p99 ratio (Latchkey / Keycloak) |` : ''}`,
    `|---|---|---|---|${o.keycloak ? '---|---|---|' : ''}`,
    ...rows.map(
      (r) =>
        `| ${r.name} | ${f(r.latchkey.p50)} | ${f(r.latchkey.p99)} | ${f(r.latchkey.max)} | ` +
        (o.keycloak
          ? r.keycloak === undefined
            ? '— | — | — |'
            : `${f(r.keycloak.p50)} | ${f(r.keycloak.p99)} | ${(r.latchkey.p99 / r.keycloak.p99).toFixed(2)} |`
          : ''),
    ),
    '',
  ];
  return lines.join('\n');
}

async function main(o: Options): Promise<number> {
  process.stdout.write(`starting Latchkey dev with ${o.clients} clients\n`);
  const latchkey = await latchkeyGet(o);
  const pages = Math.ceil(o.clients / PAGE_SIZE);
  const rows: { name: string; latchkey: Latencies; keycloak?: Latencies }[] = [];
  for (const c of CASES) rows.push({ name: c.name, latchkey: await measure(latchkey, c.latchkey, pages, o) });
  await stopAll();
  if (o.keycloak) {
    process.stdout.write(`starting Keycloak with ${o.clients} clients\n`);
    const keycloak = await START.keycloak('', { idleClients: o.clients, latchkeyState: 'embedded' }, 3600);
    const admin = keycloak.admin;
    if (admin === undefined) throw new Error('Keycloak started without its admin API');
    for (const [i, c] of CASES.entries()) {
      if (c.keycloak === undefined) continue;
      const row = rows[i] as (typeof rows)[number];
      row.keycloak = await measure(
        { get: (path) => admin.request('GET', path), prepare: () => admin.renewToken() },
        c.keycloak,
        pages,
        o,
      );
    }
  }
  const report = markdown(o, rows);
  process.stdout.write(`\n${report}`);
  if (o.save) await saveResults(new Date().toISOString().slice(0, 10), 'management', report);
  return 0;
}

runBench<Options>({
  name: 'bench:management',
  usage: USAGE,
  parse(argv) {
    const args = parseBenchArgs(argv, {
      clients: { type: 'string' },
      requests: { type: 'string' },
      'no-keycloak': { type: 'boolean', default: false },
    });
    if (args === undefined) return undefined;
    const { values, quick } = args;
    return {
      clients: Math.round(positive('clients', values.clients, quick ? 1000 : 10_000)),
      requests: Math.round(positive('requests', values.requests, quick ? 300 : 2000)),
      keycloak: !values['no-keycloak'],
      save: args.save,
    };
  },
  main,
  stopping: 'Latchkey and Keycloak',
  async stop() {
    await stopAll();
    removeKeycloakData();
    if (root !== undefined) await rm(root, { recursive: true, force: true });
  },
});
