/**
 * What an upstream's discovery and keys were, kept a few minutes per URL so a sign-in does not fetch them
 * every time. Bounded: Connections come from tenants, and each may name its own issuer.
 */
export class UpstreamCache<V> {
  readonly #entries = new Map<string, { value: V; atMs: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;

  constructor(ttlMs: number, maxEntries = 1000) {
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
  }

  /** The value and when it was fetched, while fresh. */
  get(key: string, nowMs: number): { value: V; atMs: number } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (nowMs - entry.atMs >= this.#ttlMs || nowMs < entry.atMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  set(key: string, value: V, nowMs: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, atMs: nowMs });
    // Maps iterate in insertion order: the first key is the least recently fetched.
    if (this.#entries.size > this.#maxEntries)
      this.#entries.delete(this.#entries.keys().next().value as string);
  }
}
