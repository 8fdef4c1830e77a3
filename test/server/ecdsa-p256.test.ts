import { generateKeyPairSync, sign, verify } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { p256DerToJws, p256JwsToDer } from '../../src/server/ecdsa-p256.ts';

const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

describe('ES256 signature encodings', () => {
  // About 1 in 256 signatures has an r or s shorter than 32 bytes, and half need a 0x00 sign byte in DER:
  // enough signatures meet every shape.
  it('turns node:crypto DER into exactly the r || s that node:crypto itself produces, and back', () => {
    let short = 0;
    for (let i = 0; i < 3000; i++) {
      const data = Buffer.from(`message ${i}`);
      const der = sign('sha256', data, privateKey);
      const jws = p256DerToJws(der);
      expect(jws).toHaveLength(64);
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jws)).toBe(true);
      expect(p256JwsToDer(jws)).toEqual(der);
      if (der.length < 70) short++;
    }
    expect(short).toBeGreaterThan(0);
  });

  it('encodes r || s from node:crypto as DER that verifies', () => {
    for (let i = 0; i < 500; i++) {
      const data = Buffer.from(`other ${i}`);
      const jws = sign('sha256', data, { key: privateKey, dsaEncoding: 'ieee-p1363' });
      expect(verify('sha256', data, publicKey, p256JwsToDer(jws) as Buffer)).toBe(true);
    }
  });

  it('encodes values with leading zero bytes and high bits as minimal, positive DER integers', () => {
    const r = Buffer.alloc(32);
    r[31] = 1;
    const s = Buffer.alloc(32, 0xff);
    expect(p256JwsToDer(Buffer.concat([r, s]))?.toString('hex')).toBe(`3026020101022100${'ff'.repeat(32)}`);
    expect(p256DerToJws(p256JwsToDer(Buffer.concat([r, s])) as Buffer)).toEqual(Buffer.concat([r, s]));
  });

  it('refuses an r || s that is not 64 bytes', () => {
    for (const n of [0, 63, 65, 128]) expect(p256JwsToDer(Buffer.alloc(n, 1))).toBeUndefined();
  });
});
