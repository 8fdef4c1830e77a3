import { describe, expect, it } from 'vitest';
import { Reason } from '../../src/store/reasons.ts';
import { secretProblem } from '../../src/validate/resolution-problems.ts';

const MISSING_KEY = {
  reason: Reason.SecretMissing,
  message: 'Secret billing/worker-oauth has no key secret',
};

describe('secretProblem', () => {
  it.each<[string, { reason: string; message: string }, readonly string[] | undefined, object]>([
    [
      // The cluster may get the key from whoever writes the Secret: it reports that as waiting.
      'a Secret no file declares is only a warning',
      MISSING_KEY,
      undefined,
      { field: 'spec.secret', message: MISSING_KEY.message, severity: 'warning' },
    ],
    [
      'a Secret among the files without the key is an error that names the keys it has',
      MISSING_KEY,
      ['client_secret', 'client_id'],
      {
        field: 'spec.secret.keys.clientSecret',
        message:
          'Secret billing/worker-oauth has no key secret (its keys: client_secret, client_id); spec.secret.keys.clientSecret names the key that holds the secret',
        severity: 'error',
      },
    ],
    [
      'an empty one too',
      MISSING_KEY,
      [],
      {
        field: 'spec.secret.keys.clientSecret',
        message:
          'Secret billing/worker-oauth has no key secret (it has no keys); spec.secret.keys.clientSecret names the key that holds the secret',
        severity: 'error',
      },
    ],
    [
      'any other reason is an error as the store says it',
      { reason: Reason.SecretTooWeak, message: 'the secret … is shorter than 32 characters' },
      ['secret'],
      { field: 'spec.secret', message: 'the secret … is shorter than 32 characters', severity: 'error' },
    ],
  ])('%s', (_, condition, keys, expected) => {
    expect(secretProblem(condition, keys)).toEqual(expected);
  });
});
