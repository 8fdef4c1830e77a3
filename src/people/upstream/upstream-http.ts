import { Agent, request, type Dispatcher } from 'undici';

import type { Clock } from '../../clock.ts';
import { STRICT_POLICY, vetUrl, type AddressPolicy } from '../../outbound/address-policy.ts';
import { readLimited } from '../../outbound/fetch-json.ts';
import { ADDRESS_NOT_ALLOWED, vettedLookup, type Resolver } from '../../outbound/vetted-lookup.ts';
import { UpstreamSignInError } from './upstream.ts';

/** What the upstream providers get: the address policy of Connection URLs and a clock (src/people/deps.ts). */
export interface UpstreamDeps {
  now: Clock;
  /** Which hosts and addresses Connections may reach; {@link STRICT_POLICY} when absent. */
  addressPolicy?: AddressPolicy;
  /** A resolver for the vetted lookup (tests answer names without DNS). */
  resolve?: Resolver;
  /** Per request: connect, headers and body each; default {@link UPSTREAM_TIMEOUT_MS}. */
  timeoutMs?: number;
}

/** A person waits on the sign-in page while these run: a slow upstream fails the sign-in rather than hang. */
export const UPSTREAM_TIMEOUT_MS = 10_000;

/** One answer from an upstream, any status, whose body parsed as JSON. */
export interface UpstreamAnswer {
  status: number;
  json: unknown;
}

/** One request to an upstream: a GET, or a POST of a form. */
export interface UpstreamRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  /** An `application/x-www-form-urlencoded` body (RFC 6749 §4.1.3). */
  form?: URLSearchParams;
}

/**
 * Sends one request to a URL a tenant wrote (a Connection's issuer, its endpoints, GitHub Enterprise) under the
 * outbound rules: the URL and then every address its name resolves to are vetted by the policy (SSRF), at most
 * {@link MAX_RESPONSE_BYTES}, within the time limit, and no redirect followed (a redirect would let another
 * host answer for the upstream).
 *
 * @param what the step, for the person's message: `the discovery document`, `the token endpoint`
 * @throws {UpstreamSignInError} `upstream_not_allowed` when the policy refuses the address, `upstream_unavailable`
 *   for every network, redirect, size or JSON problem; the upstream's body is never in the message
 */
export async function upstreamJson(
  url: URL,
  init: UpstreamRequest,
  what: string,
  deps: UpstreamDeps,
): Promise<UpstreamAnswer> {
  const policy = deps.addressPolicy ?? STRICT_POLICY;
  const verdict = vetUrl(url, policy);
  if (!verdict.ok) throw notAllowed(what, verdict.reason);
  const timeoutMs = deps.timeoutMs ?? UPSTREAM_TIMEOUT_MS;
  const dispatcher = new Agent({
    connect: { timeout: timeoutMs, lookup: vettedLookup(policy, deps.resolve) },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
  try {
    return await send(url, init, what, dispatcher, timeoutMs);
  } finally {
    await dispatcher.destroy();
  }
}

async function send(
  url: URL,
  init: UpstreamRequest,
  what: string,
  dispatcher: Dispatcher,
  timeoutMs: number,
): Promise<UpstreamAnswer> {
  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, {
      method: init.method,
      dispatcher,
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        ...init.headers,
        ...(init.form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(init.form ? { body: init.form.toString() } : {}),
    });
  } catch (error) {
    const refused = notAllowedReason(error);
    if (refused !== undefined) throw notAllowed(what, refused, error);
    throw unavailable(
      what,
      timedOut(error) ? `did not answer within ${timeoutMs} ms` : 'could not be reached',
      error,
    );
  }
  const { statusCode, body } = response;
  if (statusCode >= 300 && statusCode < 400) {
    body.on('error', () => undefined).destroy();
    throw unavailable(what, `redirected (${statusCode}), and Latchkey does not follow redirects`);
  }
  let text: Buffer | undefined;
  try {
    text = await readLimited(body);
  } catch (error) {
    throw unavailable(what, 'did not finish its answer', error);
  }
  if (text === undefined) throw unavailable(what, 'answered with more than 1 MiB');
  try {
    return { status: statusCode, json: JSON.parse(text.toString('utf8')) as unknown };
  } catch {
    // Not kept as the cause: a JSON SyntaxError quotes the body, and the body is the upstream's.
    throw unavailable(what, `answered ${statusCode} without JSON`);
  }
}

function notAllowed(what: string, reason: string, cause?: unknown): UpstreamSignInError {
  // The policy's reason names the host and why; it is the operator's rule, safe to show.
  return new UpstreamSignInError(
    'upstream_not_allowed',
    `This sign-in method cannot be used: ${what} is at an address Latchkey may not contact (${reason}).`,
    cause === undefined ? undefined : { cause },
  );
}

function unavailable(what: string, how: string, cause?: unknown): UpstreamSignInError {
  return new UpstreamSignInError(
    'upstream_unavailable',
    `The sign-in provider is not available right now: ${what} ${how}. Try again later.`,
    cause === undefined ? undefined : { cause },
  );
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function timedOut(error: unknown): boolean {
  const { name, code } = (typeof error === 'object' && error !== null ? error : {}) as {
    name?: unknown;
    code?: unknown;
  };
  return name === 'TimeoutError' || (typeof code === 'string' && TIMEOUT_CODES.has(code));
}

/** The policy's reason when the vetted lookup refused every address (undici may wrap the error). */
function notAllowedReason(error: unknown): string | undefined {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 4; depth++) {
    const record = e as { code?: unknown; reason?: unknown; cause?: unknown; errors?: unknown };
    if (record.code === ADDRESS_NOT_ALLOWED && typeof record.reason === 'string') return record.reason;
    if (e instanceof AggregateError) {
      const inner = (e.errors as unknown[]).map(notAllowedReason).find((r) => r !== undefined);
      if (inner !== undefined) return inner;
    }
    e = record.cause;
  }
  return undefined;
}
