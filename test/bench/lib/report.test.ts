import { describe, expect, it } from 'vitest';
import {
  compactSummary,
  cpuTable,
  describeRun,
  KIND_NOTES,
  resultsMarkdown,
  rowLabel,
  table,
  type AlgorithmResult,
  type Report,
  type Summary,
} from '../../../bench/lib/report.ts';

function summary(requestsPerSecond: number, extra: Partial<Summary> = {}): Summary {
  return {
    requestsPerSecond,
    p50: 4,
    p99: 12,
    runs: [requestsPerSecond],
    failed: 0,
    cpuMicrosPerToken: 200,
    loadGeneratorCores: 0.3,
    problems: [],
    ...extra,
  };
}

const basic: AlgorithmResult = {
  alg: 'RS256',
  kind: 'client_secret_basic',
  latchkey: summary(3000),
  floor: summary(4000, { cpuMicrosPerToken: 160 }),
  ratio: 0.75,
  roundRatios: [0.7, 0.8],
};
const introspection: AlgorithmResult = {
  ...basic,
  alg: 'ES256',
  kind: 'introspection',
  ratio: 1,
  roundRatios: [1],
};

describe('the rows of npm run bench', () => {
  it('name client_secret_basic by the algorithm alone, as before the other kinds existed', () => {
    expect(rowLabel({ alg: 'RS256', kind: 'client_secret_basic' })).toBe('RS256');
  });

  it.each(['private_key_jwt', 'federation', 'introspection'] as const)(
    'name %s after the algorithm',
    (kind) => {
      expect(rowLabel({ alg: 'ES256', kind })).toBe(`ES256 ${kind}`);
    },
  );
});

describe('the throughput table', () => {
  const lines = table([basic, introspection]).split('\n');

  it('keeps the header of the committed results', () => {
    expect(lines[0]).toBe(
      '| algorithm | Latchkey req/s | floor req/s | ratio | Latchkey p50 / p99 ms | floor p50 / p99 ms |',
    );
  });

  it('gives the ratio with the lowest and highest of one round when there are several', () => {
    expect(lines[2]).toBe('| RS256 | 3,000 | 4,000 | 0.75 (0.70–0.80) | 4.0 / 12.0 | 4.0 / 12.0 |');
    expect(lines[3]).toBe('| ES256 introspection | 3,000 | 4,000 | 1.00 | 4.0 / 12.0 | 4.0 / 12.0 |');
  });
});

describe('the CPU table', () => {
  it('gives Latchkey over floor per row label', () => {
    expect(cpuTable([introspection]).split('\n')[2]).toBe(
      '| ES256 introspection | 200 | 160 | 1.25× | 0.30 / 0.30 |',
    );
  });

  it('says n/a where CPU time could not be read', () => {
    const unknown = { ...basic, floor: summary(4000, { cpuMicrosPerToken: undefined }) };
    expect(cpuTable([unknown]).split('\n')[2]).toBe('| RS256 | 200 | n/a | n/a | 0.30 / 0.30 |');
  });
});

describe('one run on the console', () => {
  it('gives rate, latency and CPU per answer', () => {
    expect(describeRun(summary(2999.6))).toBe('3000 req/s, p50 4.0 ms, p99 12.0 ms, 200 µs CPU/token');
  });

  it('leaves out CPU where unknown and says why a run is not valid', () => {
    const bad = summary(10, {
      cpuMicrosPerToken: undefined,
      problems: ['3 failed requests', 'sample token not valid'],
    });
    expect(describeRun(bad)).toBe(
      '10 req/s, p50 4.0 ms, p99 12.0 ms  INVALID: 3 failed requests; sample token not valid',
    );
  });
});

describe('the results file of npm run bench', () => {
  const report: Report = {
    date: '2026-11-23',
    commit: 'abc1234',
    machine: { cpu: 'AMD EPYC', cores: 2, node: 'v24.21.0', os: 'linux 6', threadPool: '4 (default)' },
    settings: { connections: 32, warmupSeconds: 2, measureSeconds: 4, rounds: 4 },
    results: [basic, introspection],
  };
  const markdown = resultsMarkdown(report);

  it('holds both tables and says what the rows measure', () => {
    expect(markdown).toContain(table(report.results));
    expect(markdown).toContain(cpuTable(report.results));
    expect(markdown).toContain(KIND_NOTES);
  });

  it('holds the numbers as JSON with the kind of every row', () => {
    const json = /```json\n([\s\S]*?)\n```/.exec(markdown)?.[1];
    const parsed = JSON.parse(json ?? '') as { results: { alg: string; kind: string; ratio: number }[] };
    expect(parsed.results.map((r) => [r.alg, r.kind, r.ratio])).toEqual([
      ['RS256', 'client_secret_basic', 0.75],
      ['ES256', 'introspection', 1],
    ]);
  });
});

describe('a summary in the results JSON', () => {
  it('is rounded and says null for unknown CPU', () => {
    expect(
      compactSummary(
        summary(1234.5678, { p50: 1.23456, runs: [1000.4, 1469.6], cpuMicrosPerToken: undefined }),
      ),
    ).toEqual({
      requestsPerSecond: 1235,
      p50Ms: 1.23,
      p99Ms: 12,
      runs: [1000, 1470],
      cpuMicrosPerToken: null,
      loadGeneratorCores: 0.3,
    });
  });
});
