/**
 * What the OpenID validator tests share (issue 12, "strict validators from other ecosystems"): Latchkey as an
 * OpenID provider on the people harness (real servers, runtime state in memory, the wall clock because every
 * validator checks `exp` against its own), ID tokens issued by the real token endpoint for a code written straight
 * into runtime state (the authorization endpoint's part is tested elsewhere), and a runner for a validator
 * program that reads stdin.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { digestOf, randomToken } from '../../src/people/digest.ts';
import type { AuthorizationCodeRecord, UserRecord } from '../../src/people/records.ts';
import { basic } from '../http/harness.ts';
import { PEOPLE, WEB_SECRET, type PeopleHarness } from '../people/harness.ts';

export const WEB_CLIENT = 'web-app.people';
export const WEB_REDIRECT = 'https://app.example.com/callback';

export interface TokenResponse {
  access_token: string;
  id_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
  refresh_token?: string;
}

/** The user id a test person gets, stable per name so claims can be compared. */
export function userIdOf(person: keyof typeof PEOPLE): string {
  return `usr_${person}-${digestOf(person).slice(0, 12)}`;
}

/**
 * Redeems an authorization code for `person` at the token endpoint as the web client, and returns the token
 * response. The code and the user are written into runtime state as the authorization endpoint and the login
 * page would leave them (shapes: src/people/records.ts).
 */
export async function issueTokens(
  h: PeopleHarness,
  opts: { person: keyof typeof PEOPLE; scopes: readonly string[]; nonce?: string },
): Promise<TokenResponse> {
  const nowMs = Date.now();
  const p = PEOPLE[opts.person];
  const userId = userIdOf(opts.person);
  const user: UserRecord = {
    id: userId,
    email: p.email,
    emailVerified: true,
    name: p.name,
    username: opts.person,
    groups: [...p.groups],
    createdAtMs: nowMs,
    lastSignInAtMs: nowMs,
  };
  await h.state.insert('user', userId, { value: user, expiresAtMs: nowMs + 86_400_000 }, nowMs);
  const verifier = randomToken();
  const code = randomToken();
  const record: AuthorizationCodeRecord = {
    clientId: WEB_CLIENT,
    redirectUri: WEB_REDIRECT,
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    scopes: [...opts.scopes],
    resources: [],
    ...(opts.nonce !== undefined ? { nonce: opts.nonce } : {}),
    userId,
    sid: randomToken(),
    authTime: Math.floor(nowMs / 1000) - 5,
    amr: ['pwd'],
  };
  await h.state.insert('authorization_code', code, { value: record, expiresAtMs: nowMs + 60_000 }, nowMs);
  return tokenRequest(h, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: WEB_REDIRECT,
    code_verifier: verifier,
  });
}

/** Redeems a refresh token as the web client: OpenID Connect Core §12.2, a new ID token comes with it. */
export function refreshTokens(h: PeopleHarness, refreshToken: string): Promise<TokenResponse> {
  return tokenRequest(h, { grant_type: 'refresh_token', refresh_token: refreshToken });
}

async function tokenRequest(h: PeopleHarness, form: Record<string, string>): Promise<TokenResponse> {
  const res = await fetch(h.servers.tokenEndpoint, {
    method: 'POST',
    headers: { authorization: basic(WEB_CLIENT, WEB_SECRET) },
    body: new URLSearchParams(form),
  });
  const body = (await res.json()) as TokenResponse;
  if (res.status !== 200 || typeof body.id_token !== 'string') {
    throw new Error(`the token endpoint issued no ID token: ${res.status} ${JSON.stringify(body)}`);
  }
  return body;
}

/** The served OpenID discovery document. */
export async function discoveryDocument(h: PeopleHarness): Promise<Record<string, unknown>> {
  const res = await fetch(`${h.issuer}/.well-known/openid-configuration`);
  if (res.status !== 200) throw new Error(`openid-configuration answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a validator program with `stdin` and the extra environment; resolves with its exit code and output. */
export function runValidator(
  run: { command: string; args: readonly string[] },
  stdin: string,
  env: Record<string, string> = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      run.command,
      [...run.args],
      { env: { ...process.env, ...env }, timeout: 60_000, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (err?.killed) reject(new Error(`${run.command} timed out:\n${stdout}\n${stderr}`));
        else resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr });
      },
    );
    child.stdin?.end(stdin);
  });
}
