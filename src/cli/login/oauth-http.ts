import type { TokenResponse } from './token-cache.ts';

/**
 * The few HTTP exchanges the CLI has with Latchkey: discovery, and forms posted to its endpoints. Every request
 * has a deadline, and an error answer becomes an {@link OAuthErrorAnswer} with the server's `error` code.
 */

/** How long one request may take. */
const REQUEST_TIMEOUT_MS = 30_000;

/** The members of the server's metadata the CLI uses (RFC 8414, RFC 8628 §4). */
export interface Metadata {
  issuer: string;
  token_endpoint: string;
  authorization_endpoint?: string;
  device_authorization_endpoint?: string;
}

/** An error response of the server (RFC 6749 §5.2). */
export class OAuthErrorAnswer extends Error {
  override readonly name = 'OAuthErrorAnswer';
  readonly code = 'LATCHKEY_OAUTH';
  readonly error: string;
  constructor(error: string, description: string | undefined) {
    super(description === undefined ? error : `${error}: ${description}`);
    this.error = error;
  }
}

/** The issuer's metadata, checked to be the issuer's (RFC 8414 §3.3: `issuer` must equal the one asked). */
export async function discover(issuer: string): Promise<Metadata> {
  const url = `${issuer}/.well-known/openid-configuration`;
  const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  if (!res.ok)
    throw new Error(`${url} answered ${res.status}: is ${issuer} a Latchkey issuer with people sign-in?`);
  const metadata = (await res.json()) as Partial<Metadata>;
  if (metadata.issuer !== issuer || typeof metadata.token_endpoint !== 'string') {
    throw new Error(`${url} names the issuer ${JSON.stringify(metadata.issuer)}, not ${issuer}`);
  }
  return metadata as Metadata;
}

/** Posts a form; resolves the JSON body of a 2xx answer, rejects with {@link OAuthErrorAnswer} otherwise. */
export async function postForm<T>(url: string, form: Record<string, string>): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(form).toString(),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await res.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // An answer that is not JSON is reported by its status below.
  }
  if (res.ok) return body as T;
  if (typeof body.error === 'string') {
    const description = typeof body.error_description === 'string' ? body.error_description : undefined;
    throw new OAuthErrorAnswer(body.error, description);
  }
  throw new Error(`${url} answered ${res.status}`);
}

/** `grant_type=refresh_token` for a public client (RFC 6749 §6). */
export function refresh(metadata: Metadata, clientId: string, refreshToken: string): Promise<TokenResponse> {
  return postForm<TokenResponse>(metadata.token_endpoint, {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    client_id: clientId,
  });
}

/** What a sign-in asks for: the scopes, and the organization (`--organization`) when one is named. */
export interface SignInAsk {
  scope: string;
  organization?: string;
}

/** The request parameters of a sign-in's ask: `scope`, and `organization` when named. */
export function askParams(ask: SignInAsk): Record<string, string> {
  return { scope: ask.scope, ...(ask.organization === undefined ? {} : { organization: ask.organization }) };
}
