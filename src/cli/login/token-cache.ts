import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import type { Target } from './options.ts';

/**
 * The tokens `latchkey login` keeps for one issuer and client, in a file of their own under the cache folder:
 * mode 0600 in a folder of mode 0700, written whole to a new file and renamed over the old, so a reader (two
 * kubectl commands at once) never sees half a file.
 */
export interface CachedTokens {
  issuer: string;
  clientId: string;
  accessToken: string;
  /** Milliseconds since the epoch. */
  accessTokenExpiresAtMs: number;
  idToken?: string;
  /** Milliseconds since the epoch, from the ID token's `exp`. */
  idTokenExpiresAtMs?: number;
  refreshToken?: string;
  scope?: string;
}

/** The token endpoint's answer (RFC 6749 §5.1), as far as the cache reads it. */
export interface TokenResponse {
  access_token: string;
  expires_in?: number;
  id_token?: string;
  refresh_token?: string;
  scope?: string;
}

/** A token counts as fresh while it has more than this left: time to reach the API server and be checked. */
export const FRESH_FOR_MS = 60_000;

/**
 * The cache file of an issuer, client and organization: a digest names it, so none of them can reach outside the
 * folder.
 */
export function cacheFile(target: Target): string {
  const hash = createHash('sha256').update(target.issuer).update('\0').update(target.clientId);
  // Without an organization the name is what it was before --organization existed, so kept sign-ins stay.
  if (target.organization !== undefined) hash.update('\0').update(target.organization);
  const name = hash.digest('hex');
  return join(target.cacheDir, 'tokens', `${name.slice(0, 32)}.json`);
}

/**
 * What to keep of a token response received at `nowMs`. A refresh that answers without a new refresh token
 * keeps the one before (RFC 6749 §6); without an ID token, likewise.
 */
export function cachedFrom(
  target: Target,
  response: TokenResponse,
  nowMs: number,
  before?: CachedTokens,
): CachedTokens {
  const idToken = response.id_token ?? before?.idToken;
  const exp = idToken === undefined ? undefined : decodeJwt(idToken).exp;
  const refreshToken = response.refresh_token ?? before?.refreshToken;
  return {
    issuer: target.issuer,
    clientId: target.clientId,
    accessToken: response.access_token,
    accessTokenExpiresAtMs: nowMs + (response.expires_in ?? 0) * 1000,
    ...(idToken === undefined ? {} : { idToken }),
    ...(exp === undefined ? {} : { idTokenExpiresAtMs: exp * 1000 }),
    ...(refreshToken === undefined ? {} : { refreshToken }),
    ...(response.scope === undefined
      ? before?.scope === undefined
        ? {}
        : { scope: before.scope }
      : { scope: response.scope }),
  };
}

/** The kept token of `kind` while it is fresh ({@link FRESH_FOR_MS}), else undefined. */
export function freshToken(cached: CachedTokens, kind: 'access' | 'id', nowMs: number): string | undefined {
  const [token, expiresAtMs] =
    kind === 'access'
      ? [cached.accessToken, cached.accessTokenExpiresAtMs]
      : [cached.idToken, cached.idTokenExpiresAtMs];
  if (token === undefined || expiresAtMs === undefined) return undefined;
  return expiresAtMs - nowMs > FRESH_FOR_MS ? token : undefined;
}

/** The kept tokens of the target, or undefined when there are none (or they belong to another target). */
export async function readCache(target: Target): Promise<CachedTokens | undefined> {
  let text: string;
  try {
    text = await readFile(cacheFile(target), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const c = parsed as Partial<CachedTokens>;
  if (c.issuer !== target.issuer || c.clientId !== target.clientId || typeof c.accessToken !== 'string')
    return undefined;
  return c as CachedTokens;
}

export async function writeCache(target: Target, tokens: CachedTokens): Promise<void> {
  const file = cacheFile(target);
  const folder = join(target.cacheDir, 'tokens');
  await mkdir(folder, { recursive: true, mode: 0o700 });
  // A folder made before (by hand, or by an older version) may be wider: it holds credentials.
  await chmod(folder, 0o700);
  const temporary = join(folder, `.${randomBytes(8).toString('hex')}.tmp`);
  try {
    await writeFile(temporary, `${JSON.stringify(tokens)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temporary, file);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}

export async function forget(target: Target): Promise<void> {
  await rm(cacheFile(target), { force: true });
}
