/** What dev mode's ready line says. */
export interface ReadyParts {
  issuer: string;
  /** Where it listens, when the issuer names another address (`--issuer` with a proxy, a tunnel). */
  listening?: string;
  /** A command that gets a token for one ready client; absent when no client is ready. */
  tryIt?: string;
  /** An authorization URL and PKCE verifier for a client that signs people in (try-sign-in.ts); absent without one. */
  signIn?: string;
}

/**
 * The ready line for people. Scripts wait for its start, `Latchkey dev is ready` (bench/lib/latchkey-dev.ts,
 * test/e2e/dev-process.ts), so it keeps this shape; a sign-in to try goes on a line of its own after it.
 */
export function readyText(parts: ReadyParts): string {
  const where = parts.listening === undefined ? '' : ` (listening on ${parts.listening})`;
  const signIn = parts.signIn === undefined ? '' : `\nsign in: ${parts.signIn}`;
  return `Latchkey dev is ready: issuer ${parts.issuer}${where} | try: ${parts.tryIt ?? '(no client is ready yet)'}${signIn}`;
}
