import { CLIENT_ASSERTION, type Refusal } from './refusal.ts';

/** A compact JWS (RFC 7515 §7.1) split and decoded, not yet verified. */
export interface UnverifiedJwt {
  /** The compact serialization, exactly as received; what the signature is checked over. */
  compact: string;
  header: Readonly<Record<string, unknown>>;
  payload: Readonly<Record<string, unknown>>;
}

// Three base64url parts; the signature is empty only for `alg: none`, which is refused by name below.
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Splits a client assertion (or a grant's assertion or subject token) into its header and claims so the
 * client or issuer it names can be looked up. Nothing here is trusted until the signature has been verified
 * over {@link UnverifiedJwt.compact}.
 *
 * @param refusal how to refuse it; a `client_assertion` (`invalid_client`) by default
 * @throws the refusal's error when the text is not a compact JWS of two JSON objects (RFC 7519 §7.2)
 * @example
 * const jwt = parseUnverifiedJwt(params.client_assertion);
 * jwt.payload.sub; // the client, per RFC 7523 §3
 */
export function parseUnverifiedJwt(text: string, refusal: Refusal = CLIENT_ASSERTION): UnverifiedJwt {
  const malformed = (why: string) => refusal.refuse(`${refusal.parameter} is not a JWT: ${why}`);
  if (!COMPACT.test(text)) {
    throw malformed('expected a compact JWS of three base64url parts separated by dots');
  }
  const [header, payload] = text.split('.') as [string, string, string];
  const jsonObject = (part: string, what: string): Record<string, unknown> => {
    let value: unknown;
    try {
      value = JSON.parse(utf8.decode(Buffer.from(part, 'base64url')));
    } catch {
      throw malformed(`its ${what} is not base64url-encoded JSON`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw malformed(`its ${what} is not a JSON object`);
    }
    return value as Record<string, unknown>;
  };
  return { compact: text, header: jsonObject(header, 'header'), payload: jsonObject(payload, 'payload') };
}
