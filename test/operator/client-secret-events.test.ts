import { describe, expect, it } from 'vitest';
import type { SecretAction } from '../../src/operator/client-secret-rotation.ts';
import { secretNews } from '../../src/operator/client-secret-events.ts';

const subject = { namespace: 'billing', clientName: 'worker', secretName: 'worker-oauth' };
const created = (recreated: boolean): SecretAction => ({
  kind: 'create',
  recreated,
  body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'worker-oauth', namespace: 'billing' } },
});
const update = (extra: Partial<Extract<SecretAction, { kind: 'update' }>>): SecretAction => ({
  kind: 'update',
  data: {},
  secretReplaced: false,
  ...extra,
});

describe('what applying a Secret action is worth telling', () => {
  it('tells nothing when nothing is done, and nothing for a refreshed issuer or token endpoint', () => {
    expect(secretNews({ kind: 'none' }, subject)).toEqual([]);
    expect(secretNews(update({ data: { issuer: 'aHR0cHM6Ly9h' } }), subject)).toEqual([]);
  });

  it.each([
    [false, 'created', 'SecretIssued', 'issued a new client secret into Secret billing/worker-oauth'],
    [
      true,
      'recreated',
      'SecretRecreated',
      'Secret billing/worker-oauth was missing; issued a new client secret into it (the previous secret no longer works)',
    ],
  ] as const)(
    'a created Secret (recreated: %s) emits secret.issued %s, then records %s',
    (recreated, why, reason, note) => {
      expect(secretNews(created(recreated), subject)).toEqual([
        { emit: { namespace: 'billing', name: 'worker-oauth', clientId: 'worker', reason: why } },
        { record: { type: 'Normal', reason, action: 'IssueSecret', note } },
      ]);
    },
  );

  it('a Secret whose secret key was emptied is refilled with a SecretRecreated Event and no rotation', () => {
    expect(secretNews(update({ secretReplaced: true }), subject)).toEqual([
      {
        record: {
          type: 'Normal',
          reason: 'SecretRecreated',
          action: 'IssueSecret',
          note: 'Secret billing/worker-oauth had no client secret; issued a new one',
        },
      },
    ]);
  });

  it.each([
    ['requested', 'annotation latchkey.dev/rotate-secret'],
    ['scheduled', 'spec.secret.rotation.interval'],
  ] as const)('a %s rotation names its cause and until when the previous secret works', (cause, why) => {
    const action = update({ rotated: { cause, previousValidUntil: '2026-11-24T10:00:00Z' } });
    expect(secretNews(action, subject)).toEqual([
      { emit: { namespace: 'billing', name: 'worker-oauth', clientId: 'worker', reason: 'rotated' } },
      {
        record: {
          type: 'Normal',
          reason: 'SecretRotated',
          action: 'RotateSecret',
          note: `secret rotated in Secret billing/worker-oauth (${why}); previous valid until 2026-11-24T10:00:00Z`,
        },
      },
    ]);
  });

  it('the end of a grace period is recorded as PreviousSecretExpired', () => {
    expect(secretNews(update({ previousExpired: true }), subject)).toEqual([
      {
        record: {
          type: 'Normal',
          reason: 'PreviousSecretExpired',
          action: 'RotateSecret',
          note: 'the previous client secret no longer works: its grace period ended; removed it from Secret billing/worker-oauth',
        },
      },
    ]);
  });

  it('a Secret owned by someone else is a Warning recorded once per distinct message', () => {
    const message = 'Secret billing/worker-oauth belongs to another owner';
    expect(secretNews({ kind: 'conflict', message }, subject)).toEqual([
      {
        record: {
          type: 'Warning',
          reason: 'SecretConflict',
          action: 'IssueSecret',
          note: message,
          once: true,
        },
      },
    ]);
  });

  it('never puts the secret itself in a note', () => {
    const action = update({
      data: { client_secret: 'c3VwZXItc2VjcmV0' },
      secretReplaced: true,
      previousExpired: true,
    });
    expect(JSON.stringify(secretNews(action, subject))).not.toContain('c3VwZXItc2VjcmV0');
  });
});
