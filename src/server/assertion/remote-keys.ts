import type { Clock } from '../../clock.ts';
import { STRICT_POLICY, vetUrl, type AddressPolicy } from '../../outbound/address-policy.ts';
import type { FetchedJson } from '../../outbound/fetch-json.ts';
import { parseClientKey, type ClientKey } from '../../store/client-keys.ts';

/** A fetched key set is used without asking again for this long. */
export const FRESH_MS = 5 * 60_000;
/**
 * At most one fetch per client in this interval, whatever the requests say: an unknown `kid` or a failing
 * URI must not let anyone make Latchkey hammer a client's key server.
 */
export const REFRESH_COOLDOWN_MS = 30_000;
/** While refreshes fail, the last keys fetched keep working for this long after they were fetched. */
export const MAX_STALE_MS = 60 * 60_000;
/** The whole fetch: connect, headers, body. It happens on a token request, which waits for it. */
export const FETCH_TIMEOUT_MS = 3_000;
/** Key sets kept; the oldest entry goes first. One per `private_key_jwt` client with a `jwksUri`. */
export const MAX_CACHED_SETS = 10_000;
/** Keys read from one set; a client needs a few. */
export const MAX_KEYS_PER_SET = 50;

export type FetchJwks = (url: URL) => Promise<FetchedJson>;

export interface RemoteKeySetsOptions {
  now: Clock;
  /** Which hosts and addresses a `jwksUri` may have; default {@link STRICT_POLICY}. Set by the operator. */
  policy?: AddressPolicy;
  /** GETs the JWK Set; default {@link fetchJwks} with {@link policy}. */
  fetch?: FetchJwks;
}

export type KeyLookup = { ok: true; keys: readonly ClientKey[] } | { ok: false; message: string };

interface Entry {
  uri: string;
  keys: readonly ClientKey[] | undefined;
  fetchedAt: number;
  attemptedAt: number;
  /** Why the last fetch failed, for the private detail of the error. */
  failure: string | undefined;
  pending: Promise<void> | undefined;
}

/**
 * The key sets of `private_key_jwt` clients that publish them at a `jwksUri` (RFC 7591 §2), cached per
 * client. A lookup fetches only on a miss: no keys yet, keys older than {@link FRESH_MS}, or keys that do not
 * include what the assertion needs (a new `kid` after a rotation); and never more than once per
 * {@link REFRESH_COOLDOWN_MS} per client. Concurrent lookups share one fetch. This fetch is the only I/O on
 * the token path.
 *
 * @example
 * const sets = new RemoteKeySets({ now: systemClock });
 * const found = await sets.lookup(client.clientId, uri, (keys) => keys.some((k) => k.kid === kid));
 */
export class RemoteKeySets {
  readonly #now: Clock;
  readonly #fetch: FetchJwks;
  readonly #entries = new Map<string, Entry>();

  constructor(options: RemoteKeySetsOptions) {
    this.#now = options.now;
    const policy = options.policy ?? STRICT_POLICY;
    this.#fetch = options.fetch ?? ((url) => fetchJwks(url, policy));
  }

  /**
   * The keys of a client, fetched again first when the cached ones are stale or `satisfies` says they lack
   * what is needed, and the cooldown allows. Fails with a message for logs when no usable keys are known.
   */
  async lookup(
    clientId: string,
    uri: string,
    satisfies: (keys: readonly ClientKey[]) => boolean,
  ): Promise<KeyLookup> {
    const entry = this.#entry(clientId, uri);
    const now = this.#now();
    const fresh = entry.keys !== undefined && now - entry.fetchedAt < FRESH_MS;
    const enough = entry.keys !== undefined && satisfies(entry.keys);
    if (
      !(fresh && enough) &&
      (entry.pending !== undefined || now - entry.attemptedAt >= REFRESH_COOLDOWN_MS)
    ) {
      entry.pending ??= this.#refresh(entry, now).finally(() => {
        entry.pending = undefined;
      });
      await entry.pending;
    }
    if (entry.keys === undefined || this.#now() - entry.fetchedAt > MAX_STALE_MS) {
      return { ok: false, message: entry.failure ?? `no keys fetched from ${uri} yet` };
    }
    return { ok: true, keys: entry.keys };
  }

  #entry(clientId: string, uri: string): Entry {
    const held = this.#entries.get(clientId);
    if (held !== undefined && held.uri === uri) return held;
    // A new URI (the OAuthClient changed) starts afresh: keys of the old URI must not verify anything.
    this.#entries.delete(clientId);
    if (this.#entries.size >= MAX_CACHED_SETS) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    const entry: Entry = {
      uri,
      keys: undefined,
      fetchedAt: -Infinity,
      attemptedAt: -Infinity,
      failure: undefined,
      pending: undefined,
    };
    this.#entries.set(clientId, entry);
    return entry;
  }

  async #refresh(entry: Entry, now: number): Promise<void> {
    entry.attemptedAt = now;
    let fetched: FetchedJson;
    try {
      fetched = await this.#fetch(new URL(entry.uri));
    } catch (err) {
      fetched = { ok: false, message: `GET ${entry.uri}: ${(err as Error).message}` };
    }
    if (!fetched.ok) {
      entry.failure = fetched.message;
      return;
    }
    const parsed = keysOf(fetched.json);
    if (parsed.length === 0) {
      entry.failure = `GET ${entry.uri}: the JWK Set holds no public signing key Latchkey can use`;
      return;
    }
    entry.keys = parsed;
    entry.fetchedAt = this.#now();
    entry.failure = undefined;
  }
}

/**
 * The usable keys of a fetched JWK Set (RFC 7517 §5). Unlike inline keys, an unusable one is skipped: a
 * published set may also hold encryption keys, and one odd key must not lock the client out. Keys with
 * private members are skipped too, so Latchkey never holds private key material.
 */
function keysOf(json: Record<string, unknown>): ClientKey[] {
  if (!Array.isArray(json.keys)) return [];
  const out: ClientKey[] = [];
  for (const jwk of json.keys.slice(0, MAX_KEYS_PER_SET)) {
    const parsed = parseClientKey(jwk);
    if (parsed.ok) out.push(parsed.key);
  }
  return out;
}

/**
 * GETs a JWK Set with undici within {@link FETCH_TIMEOUT_MS} and the 1 MiB cap of the issuer checks, under the
 * rules of a Connection's issuer: https unless the policy allows the host, never a loopback, link-local or
 * metadata address (judged on the URL first, then on every address the name resolves to, at connect time, so
 * DNS rebinding gets nowhere), and no redirects (a redirect would let another host answer for the keys).
 *
 * @example
 * const fetched = await fetchJwks(new URL('https://keys.example.com/jwks.json'), STRICT_POLICY);
 */
export async function fetchJwks(url: URL, policy: AddressPolicy = STRICT_POLICY): Promise<FetchedJson> {
  const verdict = vetUrl(url, policy);
  if (!verdict.ok) {
    return {
      ok: false,
      message: `GET ${url.href}: not allowed: ${verdict.reason}`,
      notAllowed: verdict.reason,
    };
  }
  // Loaded on the first fetch: undici is the largest dependency (~8 MiB resident), and a server whose clients
  // publish no `jwksUri` (every dev mode folder without one) never needs it.
  const [{ Agent }, { getJsonObject }, { vettedLookup }] = await Promise.all([
    import('undici'),
    import('../../outbound/fetch-json.ts'),
    import('../../outbound/vetted-lookup.ts'),
  ]);
  const dispatcher = new Agent({
    connect: { timeout: FETCH_TIMEOUT_MS, lookup: vettedLookup(policy) },
    headersTimeout: FETCH_TIMEOUT_MS,
    bodyTimeout: FETCH_TIMEOUT_MS,
  });
  try {
    return await getJsonObject(
      url,
      { dispatcher, signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), timeoutMs: FETCH_TIMEOUT_MS },
      { accept: 'application/jwk-set+json, application/json', who: 'the jwksUri host' },
    );
  } finally {
    await dispatcher.destroy();
  }
}
