import { homedir } from 'node:os';
import { browserLogin } from './browser-login.ts';
import { deviceLogin } from './device-login.ts';
import { execCredential, interactiveOf } from './exec-credential.ts';
import { discover, OAuthErrorAnswer, refresh, type SignInAsk } from './oauth-http.ts';
import {
  defaultCacheDir,
  parseKubectlCredentialArgs,
  parseLoginArgs,
  parseTokenArgs,
  type Target,
} from './options.ts';
import { cachedFrom, freshToken, readCache, writeCache, type CachedTokens } from './token-cache.ts';

/**
 * `latchkey login`, `latchkey token` and `latchkey kubectl-credential`: a person signs in from a terminal
 * (issue 13), and kubectl gets their ID token as an exec credential. Words for the person go to standard error;
 * standard output carries only what a script or kubectl reads.
 */

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  now: () => number;
}

const cacheDirOf = (io: Io) => defaultCacheDir(io.env, homedir());

/** The scopes and organization a command's arguments ask for. */
const askOf = (args: Target & { scope: string }): SignInAsk => ({
  scope: args.scope,
  ...(args.organization === undefined ? {} : { organization: args.organization }),
});

export async function login(argv: readonly string[], io: Io): Promise<void> {
  const args = parseLoginArgs(argv, cacheDirOf(io));
  const metadata = await discover(args.issuer);
  const run = args.flow === 'device' ? deviceLogin : browserLogin;
  const response = await run(metadata, args.clientId, askOf(args), io.err, io.now);
  const cached = cachedFrom(args, response, io.now());
  await writeCache(args, cached);
  io.err(`Signed in to ${args.issuer} as client ${args.clientId}.\n`);
}

export async function token(argv: readonly string[], io: Io): Promise<void> {
  const args = parseTokenArgs(argv, cacheDirOf(io));
  const kind = args.idToken ? 'id' : 'access';
  const cached = await freshTokens(args, kind, io.now);
  if (cached === undefined) throw notSignedIn(args);
  io.out(`${freshToken(cached, kind, io.now()) as string}\n`);
}

export async function kubectlCredential(argv: readonly string[], io: Io): Promise<void> {
  const args = parseKubectlCredentialArgs(argv, cacheDirOf(io));
  let cached = await freshTokens(args, 'id', io.now);
  if (cached === undefined) {
    if (!interactiveOf(io.env)) throw notSignedIn(args);
    const metadata = await discover(args.issuer);
    const response = await deviceLogin(metadata, args.clientId, askOf(args), io.err, io.now);
    cached = cachedFrom(args, response, io.now());
    await writeCache(args, cached);
  }
  const idToken = freshToken(cached, 'id', io.now());
  if (idToken === undefined)
    throw new Error('the sign-in kept has no ID token: log in with the scope openid');
  io.out(`${JSON.stringify(execCredential(idToken, cached.idTokenExpiresAtMs as number))}\n`);
}

/**
 * The kept tokens with a fresh token of `kind`: as kept, or refreshed (and kept again). Undefined when nothing
 * is kept, or it cannot be refreshed (no refresh token, or the server no longer accepts it).
 */
async function freshTokens(
  target: Target,
  kind: 'access' | 'id',
  now: () => number,
): Promise<CachedTokens | undefined> {
  const cached = await readCache(target);
  if (cached === undefined) return undefined;
  if (freshToken(cached, kind, now()) !== undefined) return cached;
  if (cached.refreshToken === undefined) return undefined;
  const metadata = await discover(target.issuer);
  let refreshed: CachedTokens;
  try {
    refreshed = cachedFrom(
      target,
      await refresh(metadata, target.clientId, cached.refreshToken),
      now(),
      cached,
    );
  } catch (err) {
    if (err instanceof OAuthErrorAnswer && err.error === 'invalid_grant') return undefined;
    throw err;
  }
  await writeCache(target, refreshed);
  return freshToken(refreshed, kind, now()) === undefined ? undefined : refreshed;
}

function notSignedIn(target: Target): Error {
  return Object.assign(
    new Error(
      `not signed in to ${target.issuer} as client ${target.clientId}, or the sign-in expired: run latchkey login --issuer ${target.issuer} --client-id ${target.clientId}`,
    ),
    { code: 'NOT_SIGNED_IN' },
  );
}
