import { beforeEach, describe, expect, it } from 'vitest';
import {
  EARLY_CHECK_COOLDOWN_MS,
  EarlyIssuerChecks,
  type ConnectionRef,
} from '../../src/connections/check-schedule.ts';

const CLUSTER = 'https://kubernetes.default.svc.cluster.local';
const CI = 'https://token.actions.example';

describe('EarlyIssuerChecks', () => {
  let nowMs: number;
  let byIssuer: Map<string, ConnectionRef[]>;
  let checked: string[];
  let early: EarlyIssuerChecks;

  beforeEach(() => {
    nowMs = 1_700_000_000_000;
    byIssuer = new Map([
      [
        CLUSTER,
        [
          { namespace: 'platform', name: 'cluster' },
          { namespace: 'apps', name: 'cluster' },
        ],
      ],
      [CI, [{ namespace: 'ci', name: 'actions' }]],
    ]);
    checked = [];
    early = new EarlyIssuerChecks({
      now: () => nowMs,
      connectionsByIssuer: () => byIssuer,
      check: ({ namespace, name }) => checked.push(`${namespace}/${name}`),
    });
  });

  it('checks every Connection of the issuer, and only those', () => {
    expect(early.request(CLUSTER)).toEqual(['platform/cluster', 'apps/cluster']);
    expect(checked).toEqual(['platform/cluster', 'apps/cluster']);
  });

  it('checks nothing for an issuer no Connection has', () => {
    expect(early.request('https://evil.example')).toEqual([]);
    expect(early.request('')).toEqual([]);
    expect(early.request('__proto__')).toEqual([]);
    expect(checked).toEqual([]);
  });

  it('checks each Connection early at most once per cooldown, however often it is asked', () => {
    early.request(CLUSTER);
    for (let i = 0; i < 100; i++) early.request(CLUSTER);
    nowMs += EARLY_CHECK_COOLDOWN_MS - 1;
    expect(early.request(CLUSTER)).toEqual([]);
    expect(checked).toEqual(['platform/cluster', 'apps/cluster']);

    nowMs += 1;
    expect(early.request(CLUSTER)).toEqual(['platform/cluster', 'apps/cluster']);
    expect(checked).toHaveLength(4);
  });

  it('keeps the cooldown of each Connection apart', () => {
    early.request(CLUSTER);
    nowMs += 10_000;
    expect(early.request(CI)).toEqual(['ci/actions']);
    nowMs += EARLY_CHECK_COOLDOWN_MS - 10_000;
    expect(early.request(CI)).toEqual([]);
    expect(early.request(CLUSTER)).toEqual(['platform/cluster', 'apps/cluster']);
  });

  it('follows the snapshot in force: a Connection that now has the issuer is checked at once', () => {
    early.request(CLUSTER);
    byIssuer.set(CLUSTER, [
      { namespace: 'platform', name: 'cluster' },
      { namespace: 'edge', name: 'cluster' },
    ]);
    expect(early.request(CLUSTER)).toEqual(['edge/cluster']);
  });

  it('is not held off for long by a clock that stepped back', () => {
    early.request(CLUSTER);
    nowMs -= 3_600_000;
    expect(early.request(CLUSTER)).toEqual(['platform/cluster', 'apps/cluster']);
    nowMs += 1_000;
    expect(early.request(CLUSTER)).toEqual([]);
  });
});
