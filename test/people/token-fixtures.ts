import { createHash } from 'node:crypto';
import { randomToken } from '../../src/people/digest.ts';
import type { AuthorizationCodeRecord, UserRecord } from '../../src/people/records.ts';
import type { RuntimeState } from '../../src/state/runtime-state.ts';
import { PEOPLE } from './harness.ts';

/**
 * Records the authorization endpoint and the sign-in write, written straight into runtime state so the token
 * side is tested on its own: a person, and a code issued to a client for them (shapes in src/people/records.ts).
 */

export const ALICE_ID = 'usr_alice0000000000000000000000000000000000000';

export function alice(nowMs: number): UserRecord {
  const p = PEOPLE.alice;
  return {
    id: ALICE_ID,
    email: p.email,
    emailVerified: true,
    name: p.name,
    username: 'alice',
    groups: [...p.groups],
    createdAtMs: nowMs - 86_400_000,
    lastSignInAtMs: nowMs,
  };
}

export async function writeUser(state: RuntimeState, user: UserRecord, nowMs: number): Promise<void> {
  await state.insert(
    'user',
    user.id,
    { value: user, owner: user.id, expiresAtMs: nowMs + 365 * 86_400_000 },
    nowMs,
  );
}

/** A PKCE pair (RFC 7636 §4.1, §4.2): a random verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomToken();
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export interface IssuedCode {
  code: string;
  verifier: string;
  record: AuthorizationCodeRecord;
}

/** Writes a code as the authorization endpoint does: 60 s of life, bound to client, redirect URI and challenge. */
export async function writeCode(
  state: RuntimeState,
  nowMs: number,
  overrides: Partial<AuthorizationCodeRecord> = {},
): Promise<IssuedCode> {
  const { verifier, challenge } = pkcePair();
  const code = randomToken();
  const record: AuthorizationCodeRecord = {
    clientId: 'web-app.people',
    redirectUri: 'https://app.example.com/callback',
    codeChallenge: challenge,
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    resources: [],
    nonce: 'nonce-1',
    userId: ALICE_ID,
    sid: 'sid-1',
    authTime: Math.floor(nowMs / 1000) - 5,
    amr: ['pwd'],
    ...overrides,
  };
  await state.insert(
    'authorization_code',
    code,
    { value: record, owner: record.userId, expiresAtMs: nowMs + 60_000 },
    nowMs,
  );
  return { code, verifier, record };
}

/** A form body. */
export function form(params: Record<string, string>): string {
  return new URLSearchParams(params).toString();
}

/** HTTP Basic credentials (RFC 6749 §2.3.1). */
export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** POSTs a form to `url`, returning the status, headers and JSON body. */
export async function post(
  url: string,
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: form(params),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}
