import { describe, expect, it } from 'vitest';
import { javaMajor } from '../../../bench/peers/keycloak.ts';
import {
  formatRatio,
  formatSpread,
  parsePeersMarkdown,
  peersMarkdown,
  peersProblems,
  peersTable,
  type PeerResult,
  type PeersReport,
} from '../../../bench/peers/peers-report.ts';
import { parseStat, parseVmRss, processTree } from '../../../bench/lib/proc-tree.ts';
import type { Summary } from '../../../bench/lib/report.ts';

const MiB = 2 ** 20;

function summary(requestsPerSecond: number, runs: number[], extra: Partial<Summary> = {}): Summary {
  return {
    requestsPerSecond,
    p50: 4,
    p99: 12,
    runs,
    failed: 0,
    cpuMicrosPerToken: 200,
    loadGeneratorCores: 0.3,
    problems: [],
    ...extra,
  };
}

const latchkey: PeerResult = {
  peer: 'latchkey',
  status: { started: true, version: 'Latchkey 0.1.0 dev', readySeconds: 2.14 },
  idleRssBytes: 100 * MiB,
  loadRssBytes: 150 * MiB,
  cases: [{ connection: 'keep-alive', alg: 'RS256', summary: summary(3000, [2800, 3200]) }],
};
const oidcProvider: PeerResult = {
  peer: 'oidc-provider',
  status: { started: true, version: 'oidc-provider 9.13.3', readySeconds: 0.4 },
  idleRssBytes: 80 * MiB,
  loadRssBytes: 200 * MiB,
  cases: [
    {
      connection: 'keep-alive',
      alg: 'RS256',
      summary: summary(2000, [2000, 2000], { p50: 8, p99: 24, cpuMicrosPerToken: 400 }),
    },
  ],
};
const keycloakDown: PeerResult = {
  peer: 'keycloak',
  status: {
    started: false,
    reason: 'Keycloak 26.7.3 needs Java 21 or later; found /usr/lib/jvm/java-17: 17',
  },
  cases: [],
};

function row(table: string, measure: string): string[] {
  const line = table.split('\n').find((l) => l.startsWith(`| ${measure} |`));
  if (line === undefined) throw new Error(`no row ${measure}`);
  return line
    .slice(2, -2)
    .split(' | ')
    .map((cell) => cell.trim());
}

describe('the ratio table of npm run bench:peers', () => {
  const table = peersTable([latchkey, oidcProvider, keycloakDown], ['RS256']);

  it('has a column per server and a ratio column per peer', () => {
    expect(table.split('\n')[0]).toBe(
      '| measure | Latchkey | node-oidc-provider | Keycloak | Latchkey / node-oidc-provider | Latchkey / Keycloak |',
    );
  });

  it('gives Latchkey over the peer, with the lowest and highest ratio of one round', () => {
    expect(row(table, 'tokens/s, keep-alive, RS256')).toEqual([
      'tokens/s, keep-alive, RS256',
      '3,000',
      '2,000',
      'n/a',
      '1.50 (1.40–1.60)',
      'n/a',
    ]);
    expect(row(table, 'p50 / p99 ms, keep-alive, RS256').slice(4)).toEqual(['0.50 / 0.50', 'n/a']);
    expect(row(table, 'server CPU µs/token, keep-alive, RS256').slice(1, 5)).toEqual([
      '200',
      '400',
      'n/a',
      '0.50',
    ]);
    expect(row(table, 'idle RSS, started with the idle clients').slice(1)).toEqual([
      '100 MiB',
      '80 MiB',
      'n/a',
      '1.25',
      'n/a',
    ]);
    expect(row(table, 'peak RSS under load').slice(4)).toEqual(['0.75', 'n/a']);
  });

  it('keeps a peer that did not start, with the reason', () => {
    expect(row(table, 'server')[3]).toBe(
      '**not started**: Keycloak 26.7.3 needs Java 21 or later; found /usr/lib/jvm/java-17: 17',
    );
    expect(row(table, 'server')[1]).toBe('Latchkey 0.1.0 dev, ready in 2.1 s');
  });

  it('marks the figures of an invalid case and lists why', () => {
    const bad: PeerResult = {
      ...oidcProvider,
      cases: [
        {
          connection: 'new connection',
          alg: 'RS256',
          summary: summary(10, [10], { problems: ['3 failed requests, first: HTTP 500'] }),
        },
      ],
    };
    const t = peersTable([latchkey, bad], ['RS256']);
    expect(row(t, 'tokens/s, new connection, RS256')[2]).toBe('10 (invalid)');
    expect(peersProblems([latchkey, bad])).toEqual([
      'node-oidc-provider new connection RS256: 3 failed requests, first: HTTP 500',
    ]);
  });

  it('refuses results without Latchkey', () => {
    expect(() => peersTable([oidcProvider], ['RS256'])).toThrow('no Latchkey column');
  });
});

describe('the people rows of npm run bench:peers', () => {
  const withPeople = (result: PeerResult, codes: Summary, refresh: Summary): PeerResult => ({
    ...result,
    people: [
      { grant: 'authorization_code', summary: codes },
      { grant: 'refresh_token', summary: refresh },
    ],
  });
  const peers = [
    withPeople(latchkey, summary(400, [400]), summary(900, [900])),
    withPeople(
      oidcProvider,
      summary(300, [300], { problems: ['5 failed requests, first: HTTP 400'] }),
      summary(450, [450]),
    ),
  ];
  const table = peersTable(peers, ['RS256']);

  it('has a row per grant, keep-alive and RS256, with its ratio', () => {
    expect(row(table, 'tokens/s, refresh_token, keep-alive, RS256').slice(1)).toEqual(['900', '450', '2.00']);
    expect(row(table, 'tokens/s, authorization_code exchange, keep-alive, RS256').slice(1, 3)).toEqual([
      '400',
      '300 (invalid)',
    ]);
  });

  it('lists why a grant case is invalid, by server and grant', () => {
    expect(peersProblems(peers)).toEqual([
      'node-oidc-provider authorization_code: 5 failed requests, first: HTTP 400',
    ]);
  });

  it('leaves the rows out when no server ran them', () => {
    expect(peersTable([latchkey, oidcProvider], ['RS256'])).not.toContain('refresh_token');
  });

  it('writes them to the results file and reads them back', () => {
    const markdown = peersMarkdown(
      {
        date: '2026-12-07',
        commit: 'abc1234',
        machine: { cpu: 'AMD EPYC', cores: 2, node: 'v24.21.0', os: 'linux', threadPool: '4 (default)' },
        sharedMachine: false,
        settings: { connections: 32, warmupSeconds: 2, measureSeconds: 4, rounds: 3, idleClients: 1000 },
        peers,
      },
      ['RS256'],
    );
    expect(parsePeersMarkdown(markdown).peers[0]?.people).toMatchObject([
      { grant: 'authorization_code', requestsPerSecond: 400 },
      { grant: 'refresh_token', requestsPerSecond: 900 },
    ]);
  });
});

describe('ratios', () => {
  it('keeps two decimals below ten and one from ten on', () => {
    expect(formatRatio(1.234)).toBe('1.23');
    expect(formatRatio(0.05)).toBe('0.05');
    expect(formatRatio(15.56)).toBe('15.6');
    expect(formatRatio(Number.NaN)).toBe('n/a');
    expect(formatRatio(Number.POSITIVE_INFINITY)).toBe('n/a');
  });

  it('shows a spread only for several finite rounds', () => {
    expect(formatSpread([1.2])).toBe('');
    expect(formatSpread([1.2, Number.NaN])).toBe('');
    expect(formatSpread([1.3, 1.1, 1.2])).toBe(' (1.10–1.30)');
  });
});

describe('the results file', () => {
  const report: PeersReport = {
    date: '2026-11-23',
    commit: 'abc1234',
    machine: { cpu: 'AMD EPYC', cores: 2, node: 'v24.21.0', os: 'linux 6.18', threadPool: '4 (default)' },
    sharedMachine: true,
    settings: { connections: 32, warmupSeconds: 2, measureSeconds: 4, rounds: 3, idleClients: 1000 },
    peers: [latchkey, oidcProvider, keycloakDown],
  };
  const markdown = peersMarkdown(report, ['RS256']);

  it('says the date, commit, machine and that it was shared', () => {
    expect(markdown.split('\n')[0]).toBe('# Latchkey and its peers, 2026-11-23');
    expect(markdown).toContain('- commit: abc1234');
    expect(markdown).toContain('AMD EPYC, 2 cores, Node.js v24.21.0');
    expect(markdown).toContain('shared with other work during the run');
  });

  it('reads back the numbers it wrote', () => {
    const json = parsePeersMarkdown(markdown);
    expect(json.date).toBe('2026-11-23');
    expect(json.settings.idleClients).toBe(1000);
    expect(json.peers.map((p) => p.peer)).toEqual(['latchkey', 'oidc-provider', 'keycloak']);
    expect(json.peers[0]?.status).toEqual({
      started: true,
      version: 'Latchkey 0.1.0 dev',
      readySeconds: 2.1,
    });
    expect(json.peers[0]?.cases[0]).toMatchObject({
      connection: 'keep-alive',
      alg: 'RS256',
      requestsPerSecond: 3000,
      runs: [2800, 3200],
      cpuMicrosPerToken: 200,
    });
    expect(json.peers[2]).toMatchObject({ idleRssBytes: null, cases: [], status: { started: false } });
  });

  it('rejects a file without numbers or with an unknown server', () => {
    expect(() => parsePeersMarkdown('# nothing here\n')).toThrow('no ```json block');
    const unknown = markdown.replace('"peer": "keycloak"', '"peer": "hydra"');
    expect(() => parsePeersMarkdown(unknown)).toThrow('unknown peer "hydra"');
  });
});

describe('/proc parsing', () => {
  it('reads pid, parent, name and CPU ticks, whatever the name holds', () => {
    const stat = '4242 (java (main) x) S 4200 4242 4242 0 -1 4194560 1 0 0 0 150 50 0 0 20 0 40 0 1 1 1';
    expect(parseStat(stat)).toEqual({ pid: 4242, ppid: 4200, comm: 'java (main) x', cpuTicks: 200 });
    expect(parseStat('garbage')).toBeUndefined();
  });

  it('reads VmRSS in bytes', () => {
    expect(parseVmRss('Name:\tjava\nVmHWM:\t  900 kB\nVmRSS:\t  512 kB\n')).toBe(512 * 1024);
    expect(parseVmRss('Name:\tkthreadd\n')).toBeUndefined();
  });

  it('walks a process tree from its root, and not its siblings', () => {
    const p = (pid: number, ppid: number, comm: string) => ({ pid, ppid, comm, cpuTicks: 0 });
    const stats = [p(1, 0, 'init'), p(10, 1, 'node'), p(11, 10, 'timeout'), p(12, 11, 'java'), p(20, 1, 'x')];
    expect(processTree(10, stats).map((s) => s.comm)).toEqual(['node', 'timeout', 'java']);
    expect(processTree(99, stats)).toEqual([]);
  });
});

describe('javaMajor', () => {
  it('reads the feature release from java -version', () => {
    expect(javaMajor('openjdk version "25.0.3" 2026-04-21 LTS')).toBe(25);
    expect(javaMajor('openjdk version "17.0.15" 2025-04-15')).toBe(17);
    expect(javaMajor('java version "1.8.0_402"')).toBe(8);
    expect(javaMajor('openjdk version "21" 2023-09-19')).toBe(21);
    expect(javaMajor('no java here')).toBeUndefined();
  });
});
