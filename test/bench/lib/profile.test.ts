import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../../../bench/lib/children.ts';
import {
  frameLabel,
  OTHER_GROUP,
  profileTable,
  sliceProfile,
  summarizeCpuProfile,
  type CpuProfile,
  type ProfileNode,
} from '../../../bench/lib/profile.ts';
import {
  groupTable,
  mainThreadCpuSeconds,
  mainThreadProfileOf,
  TOKEN_GROUPS,
  type ProfiledRow,
} from '../../../bench/token/token-profile.ts';

const node = (
  id: number,
  functionName: string,
  url: string,
  children: number[] = [],
  lineNumber = id,
): ProfileNode => ({
  id,
  callFrame: { functionName, url, lineNumber, columnNumber: 0, scriptId: String(id) },
  children,
});

const src = (file: string) => `file://${REPO_ROOT}${file}`;

/**
 * (root) → handler (token.ts) → authenticateClient (client-auth.ts) → digest (node:internal/crypto/hash)
 *                             → recurse (token.ts) → recurse (token.ts)
 *        → (garbage collector), (idle)
 */
const NODES: ProfileNode[] = [
  node(1, '(root)', '', [2, 6, 7]),
  node(2, 'handler', src('src/server/endpoints/token.ts'), [3, 5]),
  node(3, 'authenticateClient', src('src/server/client-auth.ts'), [4]),
  node(4, 'digest', 'node:internal/crypto/hash'),
  node(5, 'recurse', src('src/server/endpoints/token.ts'), [8]),
  node(6, '(garbage collector)', ''),
  node(7, '(idle)', ''),
  node(8, 'recurse', src('src/server/endpoints/token.ts'), [], 5),
];

/** Samples at 1000, 2000, … µs, each lasting 1 ms (the last until endTime). */
function profileOf(samples: number[]): CpuProfile {
  return {
    nodes: NODES,
    startTime: 0,
    endTime: (samples.length + 1) * 1000,
    samples,
    timeDeltas: samples.map(() => 1000),
  };
}

const GROUPS = [
  { name: 'client authentication', pattern: / src\/server\/client-auth\.ts:/ },
  { name: 'endpoint', pattern: / src\/server\/endpoints\// },
  { name: 'garbage collection', pattern: /^\(garbage collector\)$/ },
];

describe('summarizeCpuProfile', () => {
  const profile = profileOf([4, 4, 3, 8, 6, 7, 7, 2]);

  it('labels frames with the function, the file relative to the repository and the 1-based line', () => {
    expect(frameLabel(NODES[2] as ProfileNode)).toBe('authenticateClient src/server/client-auth.ts:4');
    expect(frameLabel(NODES[3] as ProfileNode)).toBe('digest node:internal/crypto/hash:5');
    expect(frameLabel(node(9, '', `file:///x/node_modules/fastify/lib/reply.js`))).toBe(
      '(anonymous) node_modules/fastify/lib/reply.js:10',
    );
    expect(frameLabel(NODES[5] as ProfileNode)).toBe('(garbage collector)');
  });

  it('counts self time per function and leaves idle time out of the busy time', () => {
    const s = summarizeCpuProfile(profile);
    expect(s.totalMs).toBe(8);
    expect(s.busyMs).toBe(6);
    expect(s.self[0]).toEqual({ fn: 'digest node:internal/crypto/hash:5', ms: 2, share: 2 / 6 });
    expect(s.self.map((r) => r.fn)).not.toContain('(idle)');
  });

  it('counts a recursive function once per sample in inclusive time', () => {
    const s = summarizeCpuProfile(profile);
    const inclusive = new Map(s.inclusive.map((r) => [r.fn, r.ms]));
    expect(inclusive.get('handler src/server/endpoints/token.ts:3')).toBe(5);
    expect(inclusive.get('recurse src/server/endpoints/token.ts:6')).toBe(1);
    expect(inclusive.get('authenticateClient src/server/client-auth.ts:4')).toBe(3);
  });

  it('keeps the top functions only, and always the watched ones', () => {
    const s = summarizeCpuProfile(profile, { top: 1, watched: ['authenticateClient ', 'nothing'] });
    expect(s.self).toHaveLength(1);
    expect(s.watched).toEqual([
      { fn: 'authenticateClient ', ms: 3, share: 0.5 },
      { fn: 'nothing', ms: 0, share: 0 },
    ]);
  });

  it('gives a sample to the group of its innermost named frame, node internals to their caller', () => {
    const s = summarizeCpuProfile(profile, { groups: GROUPS });
    expect(s.groups.map((g) => [g.fn, g.ms])).toEqual([
      ['client authentication', 3],
      ['endpoint', 2],
      ['garbage collection', 1],
      [OTHER_GROUP, 0],
    ]);
    expect(summarizeCpuProfile(profile).groups).toEqual([]);
  });

  it('counts what no group names as other', () => {
    const s = summarizeCpuProfile(profile, { groups: [GROUPS[2] as (typeof GROUPS)[number]] });
    expect(s.groups).toEqual([
      { fn: 'garbage collection', ms: 1, share: 1 / 6 },
      { fn: OTHER_GROUP, ms: 5, share: 5 / 6 },
    ]);
  });

  it('survives an empty profile', () => {
    const s = summarizeCpuProfile({ nodes: NODES, startTime: 5, endTime: 5, samples: [], timeDeltas: [] });
    expect(s).toMatchObject({ totalMs: 0, busyMs: 0, self: [], inclusive: [] });
  });
});

describe('sliceProfile', () => {
  // Samples at 1, 2, …, 8 ms.
  const profile = profileOf([4, 4, 3, 8, 6, 7, 7, 2]);

  it('keeps the samples inside the window and the nodes they need, with recounted hits', () => {
    const slice = sliceProfile(profile, [{ startUs: 1500, endUs: 3500 }]);
    expect(slice.samples).toEqual([4, 3]);
    expect(slice.startTime).toBe(1500);
    expect(slice.timeDeltas).toEqual([500, 1000]);
    expect(slice.endTime).toBe(3500);
    expect(slice.nodes.map((n) => n.id)).toEqual([1, 2, 3, 4]);
    expect(slice.nodes.find((n) => n.id === 3)).toMatchObject({ hitCount: 1, children: [4] });
    expect(slice.nodes.find((n) => n.id === 1)?.children).toEqual([2]);
    // The last sample lasts until the window ends.
    expect(summarizeCpuProfile(slice).busyMs).toBe(1.5);
  });

  it('joins several windows and leaves the time between them out', () => {
    const slice = sliceProfile(profile, [
      { startUs: 6500, endUs: 8500 },
      { startUs: 500, endUs: 2500 },
    ]);
    expect(slice.samples).toEqual([4, 4, 7, 2]);
    expect(slice.startTime).toBe(500);
    // 1000 and 2000 in the first window, then 7000 and 8000 moved back by the 4000 µs gap.
    expect(slice.timeDeltas).toEqual([500, 1000, 1000, 1000]);
    expect(slice.endTime).toBe(4500);
    const s = summarizeCpuProfile(slice);
    expect(s.totalMs).toBe(3.5);
    expect(s.busyMs).toBe(2.5);
  });

  it('gives an empty profile that still has its root for a window without samples', () => {
    const slice = sliceProfile(profile, [{ startUs: 20_000, endUs: 30_000 }]);
    expect(slice.samples).toEqual([]);
    expect(slice.nodes.map((n) => n.id)).toEqual([1]);
  });

  it('drops line ticks, which no longer add up', () => {
    const withTicks = {
      ...profile,
      nodes: NODES.map((n) => ({ ...n, positionTicks: [{ line: 1, ticks: 9 }] })),
    };
    const slice = sliceProfile(withTicks, [{ startUs: 0, endUs: 10_000 }]);
    expect(slice.nodes.every((n) => n.positionTicks === undefined)).toBe(true);
  });
});

describe('the token bench profiles', () => {
  it('find the main thread profile of a process by the name node --cpu-prof gives it', () => {
    expect(mainThreadProfileOf('CPU.20261123.101500.4242.0.001.cpuprofile')).toBe(4242);
    expect(mainThreadProfileOf('CPU.20261123.101500.4242.1.002.cpuprofile')).toBeUndefined();
    expect(mainThreadProfileOf('latchkey.cpuprofile')).toBeUndefined();
  });

  it("read a main thread's CPU time from /proc, and nothing for no process", () => {
    const seconds = mainThreadCpuSeconds(process.pid);
    if (process.platform === 'linux') expect(seconds).toBeGreaterThan(0);
    expect(mainThreadCpuSeconds(undefined)).toBeUndefined();
    expect(mainThreadCpuSeconds(2 ** 30)).toBeUndefined();
  });

  it.each([
    ['(garbage collector)', 'garbage collection'],
    ['signOneShot node:internal/crypto/sig:158', 'JWS signing and verifying (node:crypto, main-thread part)'],
    [
      'signAccessToken src/server/jwt-sign.ts:48',
      'JWS signing and verifying (node:crypto, main-thread part)',
    ],
    ['parseBasic src/server/client-auth.ts:220', 'client authentication'],
    ['verifySignature node_modules/jose/dist/webapi/lib/jws_verify.js:44', 'client authentication'],
    ['authenticated bench/token/floor-server.ts:102', 'client authentication'],
    ['parseForm src/server/form.ts:40', 'form parsing'],
    ['accessTokenClaims src/server/claims.ts:35', 'grant and claims'],
    ['issueAccessToken src/server/grants/client-credentials.ts:25', 'grant and claims'],
    ['observeRequest src/server/metrics.ts:97', 'events, logging and metrics'],
    ['(anonymous) node_modules/prom-client/lib/histogram.js:232', 'events, logging and metrics'],
    ['(anonymous) src/server/endpoints/token.ts:138', 'endpoint steps and replies'],
    ['issue bench/token/floor-server.ts:119', 'endpoint steps and replies'],
    ['Reply.send node_modules/fastify/lib/reply.js:156', 'fastify'],
    ['callHandler node_modules/find-my-way/index.js:611', 'fastify'],
    ['parserOnHeadersComplete node:_http_common:77', 'Node HTTP and sockets'],
    ['nextTick node:internal/process/task_queues:113', 'promise jobs and ticks'],
  ])('put %s in %s', (label, group) => {
    expect(TOKEN_GROUPS.find((g) => g.pattern.test(label))?.name).toBe(group);
  });

  it('split the main thread CPU per token by group share, next to the whole process', () => {
    const summary = summarizeCpuProfile(profileOf([4, 4, 3, 8, 6, 7, 7, 2]), { groups: GROUPS });
    const row: ProfiledRow = {
      server: 'latchkey',
      kind: 'client_secret_basic',
      alg: 'ES256',
      file: '/tmp/x.cpuprofile',
      issued: 1000,
      serverCpuSeconds: 0.09,
      mainThreadCpuSeconds: 0.06,
      summary,
    };
    const table = groupTable([row, { ...row, server: 'floor', mainThreadCpuSeconds: undefined }]);
    expect(table.split('\n')).toEqual([
      '| CPU µs per token | ES256 Latchkey | ES256 floor |',
      '| --- | ---: | ---: |',
      '| process, every thread | 90.0 | 90.0 |',
      '| main thread | 60.0 | n/a |',
      '| other threads (signing, GC helpers, compiler) | 30.0 | n/a |',
      '| main thread: client authentication | 30.0 (50 %) | 50 % |',
      '| main thread: endpoint | 20.0 (33 %) | 33 % |',
      '| main thread: garbage collection | 10.0 (17 %) | 17 % |',
      '| main thread: other | 0.0 (0 %) | 0 % |',
    ]);
  });

  it('print tables of functions as markdown', () => {
    expect(profileTable([{ fn: 'f src/a.ts:1', ms: 1234.4, share: 0.25 }], 'self time')).toBe(
      '| self time | ms | share of busy |\n| --- | ---: | ---: |\n| `f src/a.ts:1` | 1,234 | 25.0 % |',
    );
  });
});
