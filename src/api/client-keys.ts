/**
 * The public keys of a `private_key_jwt` client in its OAuthClient (`spec.jwks`, `spec.jwksUri`): which
 * algorithms, which JWK members are refused as private key material, and where a key set may be fetched.
 */
import { z } from 'zod';
import { withRules } from './common.ts';

/**
 * JWS algorithms a `private_key_jwt` assertion may use (RFC 7518 §3.1, RFC 8037 §3.1, RFC 9864 §2.2):
 * asymmetric only, so a public key can never be misused as an HMAC secret.
 */
export const ASYMMETRIC_ASSERTION_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

/** JWK members that carry private key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2). */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'] as const;

/**
 * Where a `private_key_jwt` client's keys may be fetched: https, or plain http to the loopback address only.
 * A key set fetched in the clear could be swapped by anyone on the path; one on the loopback interface never
 * crosses a network (a local dev server, a sidecar, tests).
 */
export const JWKS_URI =
  /^(https:\/\/([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])|http:\/\/(localhost|127\.0\.0\.1|\[::1\]))(:[0-9]{1,5})?(\/[^\s#]*)?$/;

const base64url = (maxLength: number) =>
  z
    .string()
    .min(1)
    .max(maxLength)
    .regex(/^[A-Za-z0-9_-]+$/);

const privateMember = (name: string) =>
  z
    .string()
    .max(8192)
    .optional()
    .meta({ description: `Private key member \`${name}\`: refused, \`jwks\` holds public keys only.` });

const jwkObject = z.object({
  kty: z.enum(['RSA', 'EC', 'OKP']).meta({
    description: 'Key type (RFC 7517 §4.1): `RSA`, `EC` (P-256, P-384, P-521) or `OKP` (Ed25519, Ed448).',
  }),
  kid: z.string().min(1).max(256).optional().meta({
    description:
      'Key id (RFC 7517 §4.5). Assertions name their key with the `kid` header; give every key one when there are several.',
  }),
  use: z.enum(['sig']).optional().meta({ description: 'Public key use (RFC 7517 §4.2); only `sig`.' }),
  key_ops: z
    .array(z.string().min(1).max(32))
    .max(8)
    .optional()
    .meta({ description: 'Key operations (RFC 7517 §4.3); when present it must include `verify`.' }),
  alg: z.enum(ASYMMETRIC_ASSERTION_ALGORITHMS).optional().meta({
    description: 'The one algorithm this key may verify (RFC 7517 §4.4); any matching its type when absent.',
  }),
  crv: z.enum(['P-256', 'P-384', 'P-521', 'Ed25519', 'Ed448']).optional().meta({
    description: 'Curve of an `EC` or `OKP` key (RFC 7518 §6.2.1.1, RFC 8037 §2).',
  }),
  n: base64url(2800).optional().meta({ description: 'RSA modulus, base64url (RFC 7518 §6.3.1.1).' }),
  e: base64url(16).optional().meta({ description: 'RSA public exponent, base64url (RFC 7518 §6.3.1.2).' }),
  x: base64url(100).optional().meta({
    description: 'x coordinate of an `EC` key, or the public key of an `OKP` key, base64url.',
  }),
  y: base64url(100).optional().meta({ description: 'y coordinate of an `EC` key, base64url.' }),
  x5c: z.array(z.string().min(1).max(16384)).max(10).optional().meta({
    description: 'Certificate chain (RFC 7517 §4.7); informative, Latchkey verifies with the key itself.',
  }),
  x5t: z.string().max(64).optional().meta({ description: 'SHA-1 certificate thumbprint; informative.' }),
  'x5t#S256': z
    .string()
    .max(64)
    .optional()
    .meta({ description: 'SHA-256 certificate thumbprint; informative.' }),
  d: privateMember('d'),
  p: privateMember('p'),
  q: privateMember('q'),
  dp: privateMember('dp'),
  dq: privateMember('dq'),
  qi: privateMember('qi'),
  k: privateMember('k'),
});

const jwk = withRules(jwkObject, [
  ...PRIVATE_JWK_MEMBERS.map((m) => ({
    cel: `!has(self.${m})`,
    message: `${m} is private key material: jwks holds public keys only; keep the private key with the workload`,
    field: m,
    holds: (k: z.output<typeof jwkObject>) => k[m] === undefined,
  })),
  {
    cel: "self.kty != 'RSA' || (has(self.n) && has(self.e))",
    message: 'an RSA key needs n and e',
    field: 'n',
    holds: (k) => k.kty !== 'RSA' || (k.n !== undefined && k.e !== undefined),
  },
  {
    cel: "self.kty != 'EC' || (has(self.crv) && self.crv.startsWith('P-') && has(self.x) && has(self.y))",
    message: 'an EC key needs crv (P-256, P-384 or P-521), x and y',
    field: 'crv',
    holds: (k) =>
      k.kty !== 'EC' || (k.crv?.startsWith('P-') === true && k.x !== undefined && k.y !== undefined),
  },
  {
    cel: "self.kty != 'OKP' || (has(self.crv) && self.crv.startsWith('Ed') && has(self.x))",
    message: 'an OKP key needs crv (Ed25519 or Ed448) and x',
    field: 'crv',
    holds: (k) => k.kty !== 'OKP' || (k.crv?.startsWith('Ed') === true && k.x !== undefined),
  },
]).meta({ description: 'A public key as a JWK (RFC 7517 §4).' });

export const jwks = z
  .object({
    keys: z.array(jwk).min(1).max(20).meta({ description: 'The public keys (RFC 7517 §5.1).' }),
  })
  .meta({
    description:
      "The client's public keys, inline, as a JWK Set (RFC 7517 §5): for `private_key_jwt`. Public keys only; Latchkey refuses private members.",
  });
