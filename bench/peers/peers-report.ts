/** `npm run bench:peers`: the figures per server, the table of ratios people read, and the results file. */

import type { BenchAlgorithm } from '../lib/protocol.ts';
import type { PeopleGrant } from './people-cases.ts';
import {
  compactSummary,
  describeMachine,
  resultsFooter,
  round,
  type Machine,
  type Summary,
} from '../lib/report.ts';

export type PeerName = 'latchkey' | 'oidc-provider' | 'keycloak';

export const PEERS: readonly PeerName[] = ['latchkey', 'oidc-provider', 'keycloak'];

export const PEER_LABEL: Record<PeerName, string> = {
  latchkey: 'Latchkey',
  'oidc-provider': 'node-oidc-provider',
  keycloak: 'Keycloak',
};

export type Connection = 'keep-alive' | 'new connection';

export const CONNECTIONS: readonly Connection[] = ['keep-alive', 'new connection'];

export type PeerStatus =
  { started: true; version: string; readySeconds: number } | { started: false; reason: string };

/** One server's measurements for one kind of connection and one algorithm, all rounds merged. */
export interface Case {
  connection: Connection;
  alg: BenchAlgorithm;
  summary: Summary;
}

/** One server's measurements for a person's grant (keep-alive, RS256), all rounds merged. */
export interface PeopleCase {
  grant: PeopleGrant;
  summary: Summary;
}

export interface PeerResult {
  peer: PeerName;
  status: PeerStatus;
  /** Resident memory of the server's process tree once started with the idle clients, in bytes. */
  idleRssBytes?: number;
  /** The highest resident memory seen while it was under load, in bytes. */
  loadRssBytes?: number;
  cases: Case[];
  /** The people cases, when they were run. */
  people?: PeopleCase[];
}

export interface PeerSettings {
  connections: number;
  warmupSeconds: number;
  measureSeconds: number;
  rounds: number;
  idleClients: number;
  /** Where Latchkey kept its runtime state; embedded (`latchkey dev`) when not said. */
  latchkeyState?: 'embedded' | 'postgres';
}

export interface PeersReport {
  date: string;
  commit: string;
  machine: Machine;
  /** Said in the file when the machine was known to be shared with other work during the run. */
  sharedMachine: boolean;
  settings: PeerSettings;
  peers: PeerResult[];
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const ms = (n: number) => n.toFixed(1);
const mib = (bytes: number) => `${int(bytes / 2 ** 20)} MiB`;

/** A ratio to two decimals, or one for ten and more (where the second decimal is noise). */
export function formatRatio(ratio: number): string {
  if (!Number.isFinite(ratio)) return 'n/a';
  return ratio >= 10 ? ratio.toFixed(1) : ratio.toFixed(2);
}

/** The lowest and highest of per-round ratios, when there are several. */
export function formatSpread(ratios: readonly number[]): string {
  const finite = ratios.filter(Number.isFinite);
  if (finite.length < 2) return '';
  return ` (${formatRatio(Math.min(...finite))}–${formatRatio(Math.max(...finite))})`;
}

function caseOf(result: PeerResult, connection: Connection, alg: BenchAlgorithm): Summary | undefined {
  return result.cases.find((c) => c.connection === connection && c.alg === alg)?.summary;
}

interface Row {
  measure: string;
  /** The cell of each server, in {@link PEERS} order of the report. */
  cell(result: PeerResult): string;
  /** Latchkey over the peer, or undefined when either has no figure. */
  ratio(latchkey: PeerResult, peer: PeerResult): string | undefined;
}

function peopleOf(result: PeerResult, grant: PeopleGrant): Summary | undefined {
  return result.people?.find((c) => c.grant === grant)?.summary;
}

const PEOPLE_LABEL: Record<PeopleGrant, string> = {
  authorization_code: 'authorization_code exchange',
  refresh_token: 'refresh_token',
};

/** The three rows of one case: rate with its per-round spread, latency, CPU per token. */
function caseRows(at: string, of: (r: PeerResult) => Summary | undefined): Row[] {
  return [
    {
      measure: `tokens/s, ${at}`,
      cell: (r) => figure(of(r), (s) => int(s.requestsPerSecond)),
      ratio: (l, p) => {
        const a = of(l);
        const b = of(p);
        if (a === undefined || b === undefined) return undefined;
        const perRound = a.runs.map((rps, i) => rps / (b.runs[i] ?? Number.NaN));
        return formatRatio(a.requestsPerSecond / b.requestsPerSecond) + formatSpread(perRound);
      },
    },
    {
      measure: `p50 / p99 ms, ${at}`,
      cell: (r) => figure(of(r), (s) => `${ms(s.p50)} / ${ms(s.p99)}`),
      ratio: (l, p) => {
        const a = of(l);
        const b = of(p);
        if (a === undefined || b === undefined) return undefined;
        return `${formatRatio(a.p50 / b.p50)} / ${formatRatio(a.p99 / b.p99)}`;
      },
    },
    {
      measure: `server CPU µs/token, ${at}`,
      cell: (r) =>
        figure(of(r), (s) => (s.cpuMicrosPerToken === undefined ? 'n/a' : int(s.cpuMicrosPerToken))),
      ratio: (l, p) => {
        const a = of(l)?.cpuMicrosPerToken;
        const b = of(p)?.cpuMicrosPerToken;
        return a === undefined || b === undefined ? undefined : formatRatio(a / b);
      },
    },
  ];
}

function rows(algs: readonly BenchAlgorithm[], peers: readonly PeerResult[]): Row[] {
  const out: Row[] = [
    {
      measure: 'server',
      cell: (r) =>
        r.status.started
          ? `${r.status.version}, ready in ${r.status.readySeconds.toFixed(1)} s`
          : `**not started**: ${r.status.reason}`,
      ratio: () => undefined,
    },
  ];
  const clientCredentials = peers.some((p) => p.cases.length > 0);
  for (const connection of clientCredentials ? CONNECTIONS : []) {
    for (const alg of algs) {
      out.push(...caseRows(`${connection}, ${alg}`, (r) => caseOf(r, connection, alg)));
    }
  }
  for (const grant of ['authorization_code', 'refresh_token'] as const) {
    if (!peers.some((p) => peopleOf(p, grant) !== undefined)) continue;
    out.push(...caseRows(`${PEOPLE_LABEL[grant]}, keep-alive, RS256`, (r) => peopleOf(r, grant)));
  }
  out.push(
    {
      measure: 'idle RSS, started with the idle clients',
      cell: (r) => (r.idleRssBytes === undefined ? 'n/a' : mib(r.idleRssBytes)),
      ratio: (l, p) =>
        l.idleRssBytes === undefined || p.idleRssBytes === undefined
          ? undefined
          : formatRatio(l.idleRssBytes / p.idleRssBytes),
    },
    {
      measure: 'peak RSS under load',
      cell: (r) => (r.loadRssBytes === undefined ? 'n/a' : mib(r.loadRssBytes)),
      ratio: (l, p) =>
        l.loadRssBytes === undefined || p.loadRssBytes === undefined
          ? undefined
          : formatRatio(l.loadRssBytes / p.loadRssBytes),
    },
  );
  return out;
}

function figure(summary: Summary | undefined, format: (s: Summary) => string): string {
  if (summary === undefined) return 'n/a';
  return summary.problems.length > 0 ? `${format(summary)} (invalid)` : format(summary);
}

/**
 * The comparison as a markdown table: one column per server, then Latchkey over each peer. A peer that
 * did not start keeps its column, with the reason in its first row.
 */
export function peersTable(peers: readonly PeerResult[], algs: readonly BenchAlgorithm[]): string {
  const latchkey = peers.find((p) => p.peer === 'latchkey');
  if (latchkey === undefined) throw new Error('the results have no Latchkey column');
  const others = peers.filter((p) => p.peer !== 'latchkey');
  const header = [
    'measure',
    ...peers.map((p) => PEER_LABEL[p.peer]),
    ...others.map((p) => `Latchkey / ${PEER_LABEL[p.peer]}`),
  ];
  const lines = [
    `| ${header.join(' | ')} |`,
    `| --- | ${header
      .slice(1)
      .map(() => '---:')
      .join(' | ')} |`,
  ];
  for (const row of rows(algs, peers)) {
    const ratios = others.map((p) => (row.measure === 'server' ? '' : (row.ratio(latchkey, p) ?? 'n/a')));
    lines.push(`| ${[row.measure, ...peers.map((p) => row.cell(p)), ...ratios].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Every reason the run is not valid: failed requests or a sample token that did not verify. */
export function peersProblems(peers: readonly PeerResult[]): string[] {
  return peers.flatMap((p) => [
    ...p.cases.flatMap((c) =>
      c.summary.problems.map((problem) => `${PEER_LABEL[p.peer]} ${c.connection} ${c.alg}: ${problem}`),
    ),
    ...(p.people ?? []).flatMap((c) =>
      c.summary.problems.map((problem) => `${PEER_LABEL[p.peer]} ${c.grant}: ${problem}`),
    ),
  ]);
}

export function describePeerSettings(s: PeerSettings): string {
  return (
    `${s.connections} connections with one request in flight on each, ${s.warmupSeconds}s warm-up + ` +
    `${s.measureSeconds}s measured per run, ${s.rounds} round${s.rounds === 1 ? '' : 's'} per server, ` +
    `connection kind and algorithm, rotating which server goes first; ${int(s.idleClients)} idle clients ` +
    `registered besides the bench's own` +
    (s.latchkeyState === 'postgres' ? '; Latchkey keeps its runtime state in PostgreSQL' : '')
  );
}

/** The numbers of the results file's JSON block. */
export interface PeersJson {
  date: string;
  commit: string;
  machine: Machine;
  sharedMachine: boolean;
  settings: PeerSettings;
  peers: {
    peer: PeerName;
    status: PeerStatus;
    idleRssBytes: number | null;
    loadRssBytes: number | null;
    cases: ({ connection: Connection; alg: BenchAlgorithm } & ReturnType<typeof compactSummary>)[];
    people?: ({ grant: PeopleGrant } & ReturnType<typeof compactSummary>)[];
  }[];
}

export function toJson(report: PeersReport): PeersJson {
  return {
    ...report,
    peers: report.peers.map((p) => ({
      peer: p.peer,
      status: p.status.started ? { ...p.status, readySeconds: round(p.status.readySeconds, 1) } : p.status,
      idleRssBytes: p.idleRssBytes ?? null,
      loadRssBytes: p.loadRssBytes ?? null,
      cases: p.cases.map((c) => ({ connection: c.connection, alg: c.alg, ...compactSummary(c.summary) })),
      ...(p.people === undefined
        ? {}
        : { people: p.people.map((c) => ({ grant: c.grant, ...compactSummary(c.summary) })) }),
    })),
  };
}

const PEOPLE_INTRO = [
  '',
  "The people rows are a person's tokens at the token endpoint (issue 12): the test person signs in through",
  "each server's own login page before the clock starts, then `authorization_code` exchanges fresh codes with",
  'their PKCE verifiers (a pool minted right before each run; a run whose pool runs out after the warm-up ends',
  'its window there) and `refresh_token` refreshes one rotating family per connection with its newest token.',
  'Same web client with `client_secret_basic`, scopes `openid offline_access bench:read`, RS256 access and ID',
  'tokens for all three, and each answer carries an access token, an ID token and a refresh token.',
];

/** The committed results file: the table, how it was run, and the numbers as JSON. */
export function peersMarkdown(report: PeersReport, algs: readonly BenchAlgorithm[]): string {
  return [
    `# Latchkey and its peers, ${report.date}`,
    '',
    '`npm run bench:peers`: Latchkey dev mode, node-oidc-provider and Keycloak (`start-dev`) on this machine,',
    'each issuing `grant_type=client_credentials` tokens to the same load generator (bench/lib/load.ts) with the',
    'same client, resource, scope, algorithm and 5 minute lifetime (see bench/README.md). A ratio is Latchkey',
    'over the peer: above 1 is better for tokens/s, below 1 is better for latency, CPU and memory. Brackets',
    'give the lowest and highest ratio of one round.',
    ...(report.peers.some((p) => (p.people?.length ?? 0) > 0) ? PEOPLE_INTRO : []),
    ...(report.settings.latchkeyState === 'postgres'
      ? [
          '',
          "Latchkey's runtime state (codes, refresh-token families, sessions, users) is in PostgreSQL here: a",
          'disposable server on this machine with fsync and synchronous commit off; its CPU counts for Latchkey.',
        ]
      : []),
    '',
    peersTable(report.peers, algs),
    '',
    ...resultsFooter(
      {
        commit: report.commit,
        machine:
          describeMachine(report.machine) +
          (report.sharedMachine
            ? ' — shared with other work during the run: read the ratios, not the rates'
            : ''),
        settings: describePeerSettings(report.settings),
      },
      toJson(report),
    ),
  ].join('\n');
}

/** Reads the JSON block back from a results file, e.g. to compare two runs or to fill the README. */
export function parsePeersMarkdown(markdown: string): PeersJson {
  const m = /^```json\n([\s\S]*?)\n```$/m.exec(markdown);
  if (m?.[1] === undefined) throw new Error('no ```json block in the results file');
  const json = JSON.parse(m[1]) as Partial<PeersJson>;
  if (typeof json.date !== 'string' || !Array.isArray(json.peers)) {
    throw new Error('the results JSON has no date or peers');
  }
  for (const p of json.peers) {
    if (!PEERS.includes(p.peer)) throw new Error(`unknown peer ${JSON.stringify(p.peer)} in the results`);
  }
  return json as PeersJson;
}
