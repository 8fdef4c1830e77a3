import { compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { SIGNING_ALGORITHMS } from '../../src/api/resource-server.ts';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import { signAccessToken } from '../../src/server/jwt-sign.ts';

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
});
