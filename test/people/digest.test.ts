import { describe, expect, it } from 'vitest';
import { randomToken, sealWith } from '../../src/people/digest.ts';

describe('sealWith', () => {
  const key = randomToken();
  const token = randomToken();

  it('hides a token behind another credential and gives it back with the same key and purpose', () => {
    const sealed = sealWith(key, 'request', token);
    expect(sealed).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sealed).not.toBe(token);
    expect(sealWith(key, 'request', sealed)).toBe(token);
  });

  it('gives something else back with another key or purpose', () => {
    const sealed = sealWith(key, 'request', token);
    expect(sealWith(randomToken(), 'request', sealed)).not.toBe(token);
    expect(sealWith(key, 'code_verifier', sealed)).not.toBe(token);
    expect(sealWith(key, 'code_verifier', token)).not.toBe(sealed);
  });

  it.each([
    ['', 'short'],
    ['a'.repeat(44), 'long'],
    [`${'A'.repeat(42)}!`, 'not base64url'],
    ['usr_' + token, 'prefixed'],
  ])('refuses %j (%s)', (value) => {
    expect(() => sealWith(key, 'request', value)).toThrow(RangeError);
  });
});
