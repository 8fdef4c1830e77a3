import { compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { SIGNING_ALGORITHMS } from '../../src/api/resource-server.ts';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import { signAccessToken, signJwt } from '../../src/server/jwt-sign.ts';

describe('signAccessToken', async () => {
  const keys = keySetOf(await generateSigningKeys());

  it.each(SIGNING_ALGORITHMS)('produces a compact JWS that jose verifies (%s)', async (alg) => {
    const key = keys.active.get(alg);
    if (key === undefined) throw new Error(`no ${alg} key`);
    const payload = { sub: 'worker', n: 1, text: 'été' };
    const jwt = await signAccessToken(key, payload);
    const verified = await compactVerify(jwt, await importJWK(key.publicJwk, alg));
    expect(verified.protectedHeader).toEqual({ alg, typ: 'at+jwt', kid: key.kid });
    expect(JSON.parse(new TextDecoder().decode(verified.payload))).toEqual(payload);
    // The header is cached per key: a second token shares it byte for byte.
    expect((await signAccessToken(key, {})).split('.')[0]).toBe(jwt.split('.')[0]);
  });

  it.each(SIGNING_ALGORITHMS)(
    'signs an ID token with typ JWT and its own cached header (%s)',
    async (alg) => {
      const key = keys.active.get(alg);
      if (key === undefined) throw new Error(`no ${alg} key`);
      const jwt = await signJwt(key, { sub: 'usr_1' }, 'JWT');
      const verified = await compactVerify(jwt, await importJWK(key.publicJwk, alg));
      expect(verified.protectedHeader).toEqual({ alg, typ: 'JWT', kid: key.kid });
      expect((await signAccessToken(key, {})).split('.')[0]).not.toBe(jwt.split('.')[0]);
    },
  );
});
