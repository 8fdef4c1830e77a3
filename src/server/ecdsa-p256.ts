/**
 * ES256 signatures in the two encodings: JWS carries r || s, 32 bytes each (RFC 7518 §3.4); node:crypto
 * signs and verifies DER (SEQUENCE { INTEGER r, INTEGER s }) when handed a bare KeyObject. Asking node:crypto
 * for `dsaEncoding: 'ieee-p1363'` instead means passing an options object, which Node 24 tells apart from a
 * KeyObject by throwing and catching twice per call: a third of an ES256 token's CPU. Converting here is cheaper.
 */

const HALF = 32;

/** A DER ECDSA P-256 signature as JWS wants it (r || s). */
export function p256DerToJws(der: Buffer): Buffer {
  const out = Buffer.alloc(2 * HALF);
  // SEQUENCE, one length byte (at most 70 bytes follow), then two INTEGERs.
  let at = 2;
  for (let i = 0; i < 2; i++) {
    const len = der[at + 1] as number;
    // A positive INTEGER may start with a 0x00 byte (33 bytes), and a small one is shorter than 32.
    const skip = Math.max(0, len - HALF);
    der.copy(out, (i + 1) * HALF - (len - skip), at + 2 + skip, at + 2 + len);
    at += 2 + len;
  }
  return out;
}

/** A JWS ES256 signature (r || s) in DER; undefined when it is not 64 bytes, which no valid one is. */
export function p256JwsToDer(jws: Buffer): Buffer | undefined {
  if (jws.length !== 2 * HALF) return undefined;
  const integers = [jws.subarray(0, HALF), jws.subarray(HALF)].map((n) => {
    let start = 0;
    while (start < HALF - 1 && n[start] === 0) start++;
    const body = n.subarray(start);
    // DER INTEGERs are signed: a leading bit of 1 needs a 0x00 in front to stay positive.
    return (body[0] as number) & 0x80
      ? Buffer.concat([Buffer.of(0x02, body.length + 1, 0), body])
      : Buffer.concat([Buffer.of(0x02, body.length), body]);
  });
  const content = Buffer.concat(integers);
  return Buffer.concat([Buffer.of(0x30, content.length), content]);
}
