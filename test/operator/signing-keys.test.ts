import { describe, expect, it } from 'vitest';
import { generateSigningKeys } from '../../src/keys/generate.ts';
import { decideKeys } from '../../src/operator/signing-keys.ts';

describe('what the leader does about the signing key Secret', async () => {
  const keys = await generateSigningKeys();
  const base = {
    leader: true,
    synced: true,
    secretExists: false,
    inMemory: undefined,
    issuedKids: undefined,
  };
  it.each([
    ['a follower', { ...base, leader: false }, 'none'],
    ['a leader before its caches synced', { ...base, synced: false }, 'none'],
    [
      'a leader with the Secret in place',
      { ...base, secretExists: true, inMemory: keys, issuedKids: ['a'] },
      'none',
    ],
    ['a leader on the very first start', base, 'generate'],
    ['a leader whose Secret was deleted', { ...base, inMemory: keys, issuedKids: ['a'] }, 'restore'],
    ['a restarted leader whose Secret was lost', { ...base, issuedKids: ['a', 'b'] }, 'refuse'],
  ])('%s: %s', (_who, input, kind) => {
    const action = decideKeys(input);
    expect(action.kind).toBe(kind);
    if (action.kind === 'restore') expect(action.keys).toBe(keys);
    if (action.kind === 'refuse') expect(action.kids).toEqual(['a', 'b']);
  });
});
