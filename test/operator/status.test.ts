import { describe, expect, it } from 'vitest';
import type { Resolution } from '../../src/store/compile.ts';
import { desiredStatus, kubeTime, statusChanged } from '../../src/operator/status.ts';

const T0 = Date.parse('2026-11-23T10:00:00.123Z');
const T1 = T0 + 60_000;

const resolution = (ready: boolean, generation = 2): Resolution => ({
  kind: 'OAuthClient',
  namespace: 'ns',
  name: 'c',
  generation,
  ready,
  clientId: 'c.ns',
  secretName: 'c-oauth',
  conditions: [
    ready
      ? { type: 'Ready', status: 'True', reason: 'Reconciled', message: 'OAuthClient is in effect' }
      : { type: 'Ready', status: 'False', reason: 'SecretMissing', message: 'waiting' },
    { type: 'SecretReady', status: 'True', reason: 'SecretAvailable', message: 'ok' },
  ],
});

describe('status from a resolution', () => {
  it('writes conditions with observedGeneration and the transition time, and the status fields', () => {
    expect(desiredStatus(resolution(true), undefined, T0)).toEqual({
      observedGeneration: 2,
      clientId: 'c.ns',
      secretName: 'c-oauth',
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'Reconciled',
          message: 'OAuthClient is in effect',
          observedGeneration: 2,
          lastTransitionTime: '2026-11-23T10:00:00Z',
        },
        {
          type: 'SecretReady',
          status: 'True',
          reason: 'SecretAvailable',
          message: 'ok',
          observedGeneration: 2,
          lastTransitionTime: '2026-11-23T10:00:00Z',
        },
      ],
    });
  });

  it('keeps lastTransitionTime while a condition keeps its status, and moves it when the status changes', () => {
    const first = desiredStatus(resolution(true), undefined, T0);
    const same = desiredStatus(resolution(true), first, T1);
    expect(statusChanged(first, same)).toBe(false);
    const flipped = desiredStatus(resolution(false), first, T1);
    expect(flipped.conditions?.[0]?.lastTransitionTime).toBe(kubeTime(T1));
    expect(flipped.conditions?.[1]?.lastTransitionTime).toBe(kubeTime(T0));
    expect(statusChanged(first, flipped)).toBe(true);
  });

  it('sees a new generation as a change even when the conditions say the same', () => {
    const first = desiredStatus(resolution(true, 2), undefined, T0);
    expect(statusChanged(first, desiredStatus(resolution(true, 3), first, T1))).toBe(true);
  });

  it('ignores key order and condition order in what the API server returns', () => {
    const s = desiredStatus(resolution(true), undefined, T0);
    const reordered = JSON.parse(
      JSON.stringify({
        conditions: [...(s.conditions ?? [])].reverse(),
        secretName: 'c-oauth',
        clientId: 'c.ns',
        observedGeneration: 2,
      }),
    );
    expect(statusChanged(reordered, s)).toBe(false);
    expect(statusChanged(undefined, s)).toBe(true);
  });

  it('sees a field the API server holds that the decision does not, and a field it lacks', () => {
    const s = desiredStatus(resolution(true), undefined, T0);
    expect(statusChanged({ ...s, organizationId: 'org_1' }, s)).toBe(true);
    const { secretName: _s, ...withoutSecretName } = s;
    expect(statusChanged(withoutSecretName, s)).toBe(true);
    expect(statusChanged({ ...s, organizationId: undefined }, s)).toBe(false);
  });

  it('compares every field of a condition, extra or missing ones included', () => {
    const s = desiredStatus(resolution(true), undefined, T0);
    const [ready, secret] = s.conditions ?? [];
    if (ready === undefined || secret === undefined) throw new Error('two conditions expected');
    expect(statusChanged({ ...s, conditions: [{ ...ready, message: 'other' }, secret] }, s)).toBe(true);
    expect(statusChanged({ ...s, conditions: [{ ...ready, severity: 'Info' } as never, secret] }, s)).toBe(
      true,
    );
    const { observedGeneration: _g, ...noGeneration } = ready;
    expect(statusChanged({ ...s, conditions: [noGeneration, secret] }, s)).toBe(true);
    expect(statusChanged({ ...s, conditions: [ready, ready] }, s)).toBe(true);
    expect(statusChanged({ ...s, conditions: [ready] }, s)).toBe(true);
    const { conditions: _c, ...noConditions } = s;
    expect(statusChanged(noConditions, s)).toBe(true);
    expect(statusChanged(noConditions, { ...noConditions, conditions: [] })).toBe(true);
  });
});
