import { describe, expect, it } from 'vitest';
import type { LatchkeyEvents } from '../../src/events.ts';
import type { RefusedBy } from '../../src/refusal-log.ts';
import { FAILURE_CAUSES, type FailureCauseName } from '../../src/server/failure-causes.ts';
import {
  ClientLabels,
  failureReason,
  MAX_CLIENT_LABELS,
  TOKEN_ERRORS,
  tokenFailureLabels,
} from '../../src/server/token-failure-labels.ts';

describe('failureReason', () => {
  it.each<[string, FailureCauseName | undefined, string]>([
    ['invalid_client', 'unknown_client', 'invalid_client/unknown_client'],
    ['invalid_client', 'bad_secret', 'invalid_client/bad_secret'],
    ['invalid_client', 'replayed_assertion', 'invalid_client/replayed_assertion'],
    ['invalid_grant', 'bad_signature', 'invalid_grant/bad_signature'],
    ['invalid_request', 'audience_required', 'invalid_request/audience_required'],
    ['temporarily_unavailable', 'state_unavailable', 'temporarily_unavailable/state_unavailable'],
    ['server_error', 'no_signing_key', 'server_error/no_signing_key'],
    ['invalid_scope', undefined, 'invalid_scope'],
    ['invalid_target', undefined, 'invalid_target'],
    ['unsupported_grant_type', undefined, 'unsupported_grant_type'],
    ['access_denied', undefined, 'other'],
    ['access_denied', 'bad_secret', 'other'],
    ['__proto__', 'bad_secret', 'other'],
    ['', undefined, 'other'],
  ])('%s with cause %s reads %s', (error, cause, reason) => {
    expect(failureReason(error, cause)).toBe(reason);
  });

  it('falls back to the error code for a cause outside the closed set', () => {
    expect(failureReason('invalid_client', 'made_up' as FailureCauseName)).toBe('invalid_client');
    expect(failureReason('invalid_client', '__proto__' as FailureCauseName)).toBe('invalid_client');
  });

  it('returns the same string object every time: labelling a refusal builds no string', () => {
    expect(failureReason('invalid_client', 'bad_secret')).toBe(failureReason('invalid_client', 'bad_secret'));
  });

  it('has a bounded set of values: each error code alone or with one cause, and other', () => {
    const values = new Set<string>(['other']);
    for (const error of TOKEN_ERRORS) {
      values.add(failureReason(error, undefined));
      for (const cause of FAILURE_CAUSES) values.add(failureReason(error, cause));
    }
    expect(values.size).toBe(1 + TOKEN_ERRORS.length * (1 + FAILURE_CAUSES.length));
  });
});

describe('ClientLabels', () => {
  it('labels a client by its id, and no client as unknown', () => {
    const labels = new ClientLabels();
    expect(labels.of('billing-worker.billing')).toBe('billing-worker.billing');
    expect(labels.of(undefined)).toBe('unknown');
  });

  it('gives ids past the limit the label other, and keeps those it already labelled', () => {
    const labels = new ClientLabels(2);
    expect(['a', 'b', 'c', 'a', 'b', 'd'].map((id) => labels.of(id))).toEqual([
      'a',
      'b',
      'other',
      'a',
      'b',
      'other',
    ]);
  });

  it(`labels at most ${MAX_CLIENT_LABELS} clients by id by default`, () => {
    const labels = new ClientLabels();
    const seen = new Set(Array.from({ length: MAX_CLIENT_LABELS * 2 }, (_, i) => labels.of(`c${i}`)));
    expect(seen.size).toBe(MAX_CLIENT_LABELS + 1);
    expect(seen.has('other')).toBe(true);
  });
});

describe('tokenFailureLabels', () => {
  const inEffect = (id: string) => id === 'billing-worker.billing' || id === 'deployer.ci';
  type Failed = LatchkeyEvents['token.failed'] & RefusedBy;
  const base: Failed = { error: 'invalid_client', detail: 'private' };

  it.each<[string, Failed, Record<string, string>]>([
    [
      'a wrong secret for a client in effect names that client',
      {
        ...base,
        grantType: 'client_credentials',
        failure: 'bad_secret',
        presentedClientId: 'billing-worker.billing',
      },
      {
        grant_type: 'client_credentials',
        error: 'invalid_client',
        reason: 'invalid_client/bad_secret',
        client: 'billing-worker.billing',
      },
    ],
    [
      'a client id nobody declared reads unknown',
      { ...base, failure: 'unknown_client', presentedClientId: 'attacker-' + 'x'.repeat(200) },
      {
        grant_type: 'unknown',
        error: 'invalid_client',
        reason: 'invalid_client/unknown_client',
        client: 'unknown',
      },
    ],
    [
      'a refusal after authentication names the client that authenticated',
      { error: 'invalid_scope', grantType: 'client_credentials', clientId: 'deployer.ci', detail: 'd' },
      {
        grant_type: 'client_credentials',
        error: 'invalid_scope',
        reason: 'invalid_scope',
        client: 'deployer.ci',
      },
    ],
    [
      'a request that named no client reads unknown',
      { ...base, failure: 'missing_credentials' },
      {
        grant_type: 'unknown',
        error: 'invalid_client',
        reason: 'invalid_client/missing_credentials',
        client: 'unknown',
      },
    ],
    [
      'an id that merely looks like a prototype key reads unknown',
      { ...base, failure: 'unknown_client', presentedClientId: '__proto__' },
      {
        grant_type: 'unknown',
        error: 'invalid_client',
        reason: 'invalid_client/unknown_client',
        client: 'unknown',
      },
    ],
  ])('%s', (_name, event, labels) => {
    expect(tokenFailureLabels(event, new ClientLabels(), inEffect)).toEqual(labels);
  });
});
