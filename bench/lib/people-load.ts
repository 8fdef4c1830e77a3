/**
 * The people kinds of the load generator (load.ts): what is done before the clock starts (signing the test
 * person in, a pool of codes, one refresh-token family per connection), the body of each request, and the check
 * of the last answer: its access token and ID token verified against the server's JWKS as a relying party and
 * an API would.
 */

import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { Pool } from 'undici';
import { mintCodes, type MintedCode } from './people-browser.ts';
import type { KindLoadConfig, LoadResult, PeopleRequest } from './protocol.ts';

/** What load.ts's loop needs of a kind of request (its `Requests`). */
export interface PeopleRequests {
  endpoint: URL;
  headers: Record<string, string>;
  next(worker: number): string | undefined;
  answered(worker: number, text: string): string | undefined;
  poolEndsWindow: boolean;
  marker: string;
  exhausted(): string | undefined;
  check(text: string | undefined): Promise<LoadResult['sample']>;
}

const FORM = 'application/x-www-form-urlencoded';
const REFRESH_TOKEN = /"refresh_token"\s*:\s*"([^"]+)"/;

// RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

function exchangeBody(code: MintedCode, redirectUri: string): string {
  return new URLSearchParams({
    grant_type: 'authorization_code',
    code: code.code,
    code_verifier: code.verifier,
    redirect_uri: redirectUri,
  }).toString();
}

const refreshBody = (token: string) =>
  new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }).toString();

/** Exchanges one code per family before the clock starts: the refresh tokens the connections start from. */
async function startFamilies(
  endpoint: URL,
  headers: Record<string, string>,
  codes: readonly MintedCode[],
  redirectUri: string,
): Promise<string[]> {
  const pool = new Pool(endpoint.origin, { connections: 8 });
  try {
    return await Promise.all(
      codes.map(async (code) => {
        const res = await pool.request({
          path: endpoint.pathname,
          method: 'POST',
          headers,
          body: exchangeBody(code, redirectUri),
        });
        const text = await res.body.text();
        const token = REFRESH_TOKEN.exec(text)?.[1];
        if (res.statusCode !== 200 || token === undefined) {
          throw new Error(`no refresh token for a code: HTTP ${res.statusCode} ${text.slice(0, 200)}`);
        }
        return token;
      }),
    );
  } finally {
    await pool.close();
  }
}

/** The requests of a people kind, prepared: the person is signed in and the codes or families are ready. */
export async function peopleRequests(
  config: KindLoadConfig,
  request: PeopleRequest,
): Promise<PeopleRequests> {
  const endpoint = new URL(config.endpoint);
  const headers = { 'content-type': FORM, authorization: basic(config.clientId, request.clientSecret) };
  const redirectUri = request.authorize.redirectUri;
  const common = {
    endpoint,
    headers,
    marker: '"access_token"',
    check: (text: string | undefined) => verifyPeopleTokens(config, text),
  };
  if (request.kind === 'authorization_code') {
    const codes = await mintCodes(
      request.authorize,
      request.poolSize,
      request.mintInFlight,
      request.mintSeconds * 1000,
    );
    let used = 0;
    return {
      ...common,
      next: () => {
        const code = codes[used++];
        return code === undefined ? undefined : exchangeBody(code, redirectUri);
      },
      answered: () => undefined,
      poolEndsWindow: true,
      exhausted: () =>
        used > codes.length
          ? `all ${codes.length} codes were used in the warm-up: the pool is too small`
          : undefined,
    };
  }
  const codes = await mintCodes(request.authorize, config.connections, request.mintInFlight);
  const families = await startFamilies(endpoint, headers, codes, redirectUri);
  return {
    ...common,
    next: (worker) => refreshBody(families[worker] as string),
    // Every server rotates: the next refresh of this family must present the token just issued.
    answered: (worker, text) => {
      const token = REFRESH_TOKEN.exec(text)?.[1];
      if (token === undefined) return `no refresh_token in the answer: ${text.slice(0, 200)}`;
      families[worker] = token;
      return undefined;
    },
    poolEndsWindow: false,
    exhausted: () => undefined,
  };
}

/**
 * The last answer's access token (RFC 9068 at Latchkey and node-oidc-provider; Keycloak's own `JWT`) for the
 * API, and its ID token for the client (OpenID Connect Core §3.1.3.7), both signed with the run's algorithm and
 * naming the same person.
 */
export async function verifyPeopleTokens(
  config: KindLoadConfig,
  text: string | undefined,
): Promise<LoadResult['sample']> {
  if (text === undefined) return { valid: false, error: 'no token was issued in the measured window' };
  try {
    const body = JSON.parse(text) as { access_token?: string; id_token?: string; refresh_token?: string };
    if (body.access_token === undefined || body.id_token === undefined || body.refresh_token === undefined) {
      throw new Error(`the answer lacks a token: ${Object.keys(body).join(', ')}`);
    }
    const jwks = createRemoteJWKSet(new URL(config.jwksUri));
    const { payload } = await jwtVerify(body.access_token, jwks, {
      issuer: config.issuer,
      audience: config.audience,
      typ: config.typ ?? 'at+jwt',
      algorithms: [config.alg],
      requiredClaims: ['sub', 'iat', 'exp'],
    });
    const scopes = String(payload.scope ?? '').split(' ');
    if (!scopes.includes(config.scope)) throw new Error(`access token scope is ${String(payload.scope)}`);
    if ((payload.exp as number) - (payload.iat as number) !== config.lifetimeSeconds) {
      throw new Error(`access token exp - iat is not ${config.lifetimeSeconds}`);
    }
    const id = await jwtVerify(body.id_token, jwks, {
      issuer: config.issuer,
      audience: config.clientId,
      algorithms: [config.alg],
      requiredClaims: ['sub', 'iat', 'exp'],
    });
    if (id.payload.sub !== payload.sub) {
      throw new Error(
        `ID token sub ${String(id.payload.sub)} is not the access token's ${String(payload.sub)}`,
      );
    }
    return {
      valid: true,
      headerKeys: Object.keys(decodeProtectedHeader(body.access_token)),
      payloadKeys: Object.keys(payload),
    };
  } catch (err) {
    return { valid: false, error: (err as Error).message };
  }
}
