import { describe, expect, it } from 'vitest';
import { generateSigningKeys } from '../../src/keys/generate.ts';
import { decideKeys } from '../../src/operator/signing-keys.ts';

describe('what the leader does about the signing key Secret', async () => {
  const keys = await generateSigningKeys();
  it.each([
    ['a follower', { leader: false, synced: true, secretExists: false, inMemory: undefined }, 'none'],
    [
      'a leader before its caches synced',
      { leader: true, synced: false, secretExists: false, inMemory: undefined },
      'none',
    ],
    [
      'a leader with the Secret in place',
      { leader: true, synced: true, secretExists: true, inMemory: keys },
      'none',
    ],
    [
      'a leader on the very first start',
      { leader: true, synced: true, secretExists: false, inMemory: undefined },
      'generate',
    ],
    [
      'a leader whose Secret was deleted',
      { leader: true, synced: true, secretExists: false, inMemory: keys },
      'restore',
    ],
  ])('%s: %s', (_who, input, kind) => {
    const action = decideKeys(input);
    expect(action.kind).toBe(kind);
    if (action.kind === 'restore') expect(action.keys).toBe(keys);
  });
});
