import { request, type Dispatcher } from 'undici';
import { isRecord } from '../manifests/metadata.ts';
import { ADDRESS_NOT_ALLOWED } from './vetted-lookup.ts';

/** Discovery documents and key sets are a few KiB; anything this large is not one. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;
const MAX_RESPONSE_TEXT = '1 MiB';

export interface FetchLimits {
  dispatcher: Dispatcher;
  /** Aborts when the whole check's time budget is spent. */
  signal: AbortSignal;
  timeoutMs: number;
}

export interface FetchOptions {
  accept: string;
  /** Who answered, for the redirect message: `the issuer`, `the JWKS host`. */
  who: string;
}

/**
 * `notAllowed`, when set, says why the address policy refused the host (safe to show the tenant); `message`
 * holds what the network answered, which only the operator should see (it tells a port scanner much).
 */
export type FetchedJson =
  | { ok: true; json: Record<string, unknown> }
  | {
      ok: false;
      message: string;
      notAllowed?: string;
      /** The HTTP status of an answer that was not a 200, for the operator's log. */
      status?: number;
      /** The error code of a connection that failed (`ECONNREFUSED`, `UND_ERR_CONNECT_TIMEOUT`), likewise. */
      code?: string;
    };

/**
 * GETs `url` and parses a JSON object from it, within the limits: one time budget, at most
 * {@link MAX_RESPONSE_BYTES}, no redirects followed. Every failure is a one-line message that starts with
 * `GET <url>:`; nothing is thrown for network, HTTP or content problems.
 *
 * @example
 * const url = new URL('https://sso.example.com/.well-known/openid-configuration');
 * const fetched = await getJsonObject(url, limits, { accept: 'application/json', who: 'the issuer' });
 * if (!fetched.ok) return fetched;
 */
export async function getJsonObject(
  url: URL,
  limits: FetchLimits,
  options: FetchOptions,
): Promise<FetchedJson> {
  const failed = (what: string, about: { status?: number; code?: string } = {}): FetchedJson => ({
    ok: false,
    message: `GET ${url.href}: ${what}`,
    ...about,
  });
  let response: Dispatcher.ResponseData;
  try {
    response = await request(url, {
      method: 'GET',
      dispatcher: limits.dispatcher,
      signal: limits.signal,
      headers: { accept: options.accept },
      headersTimeout: limits.timeoutMs,
      bodyTimeout: limits.timeoutMs,
    });
  } catch (error) {
    const notAllowed = notAllowedReason(error);
    if (notAllowed !== undefined) return { ok: false, message: `GET ${url.href}: ${notAllowed}`, notAllowed };
    return failed(describeFailure(error, limits), codeOf(error));
  }
  const { statusCode, headers, body } = response;
  const status = { status: statusCode };

  // undici's request never follows redirects; a redirect would let another host answer for the issuer.
  if (statusCode >= 300 && statusCode < 400) {
    discard(body);
    const location = single(headers.location);
    if (location === undefined) return failed(`answered ${statusCode} without a Location`, status);
    const target = URL.canParse(location, url.href) ? new URL(location, url).href : location;
    return failed(
      `${options.who} redirected (${statusCode}) to ${oneLine(target).slice(0, 300)}, and Latchkey does not follow redirects`,
      status,
    );
  }
  if (statusCode !== 200) {
    discard(body);
    return failed(`answered ${statusCode}`, status);
  }
  const declared = Number(single(headers['content-length']));
  if (Number.isFinite(declared) && declared > MAX_RESPONSE_BYTES) {
    discard(body);
    return failed(`the response is larger than ${MAX_RESPONSE_TEXT}`);
  }

  let text: Buffer | undefined;
  try {
    text = await readLimited(body);
  } catch (error) {
    return failed(describeFailure(error, limits), codeOf(error));
  }
  if (text === undefined) return failed(`the response is larger than ${MAX_RESPONSE_TEXT}`);

  const contentType = single(headers['content-type'])?.split(';')[0]?.trim();
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch {
    return failed(
      `the response is not JSON${contentType ? ` (content-type ${oneLine(contentType).slice(0, 100)})` : ''}`,
    );
  }
  if (!isRecord(json)) return failed('the response is not a JSON object');
  return { ok: true, json };
}

/** The policy's reason when the lookup refused every address of the host (the error may come wrapped). */
function notAllowedReason(error: unknown): string | undefined {
  for (let e = error, depth = 0; isRecord(e) && depth < 4; e = e.cause, depth++) {
    if (e.code === ADDRESS_NOT_ALLOWED && typeof e.reason === 'string') return e.reason;
    if (e instanceof AggregateError) {
      const inner = e.errors.map(notAllowedReason).find((r) => r !== undefined);
      if (inner !== undefined) return inner;
    }
  }
  return undefined;
}

/** The first error code in an error, its causes, or the attempts of a happy-eyeballs AggregateError. */
function codeOf(error: unknown): { code?: string } {
  for (let e = error, depth = 0; isRecord(e) && depth < 4; e = e.cause, depth++) {
    if (typeof e.code === 'string') return { code: e.code };
    if (e instanceof AggregateError) {
      const inner = e.errors.map(codeOf).find((c) => c.code !== undefined);
      if (inner !== undefined) return inner;
    }
  }
  return {};
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

function describeFailure(error: unknown, limits: FetchLimits): string {
  const code = isRecord(error) && typeof error.code === 'string' ? error.code : undefined;
  if (limits.signal.aborted || (code !== undefined && TIMEOUT_CODES.has(code))) {
    return `no complete answer within ${limits.timeoutMs} ms`;
  }
  if (!(error instanceof Error)) return oneLine(String(error));
  // Happy eyeballs (several addresses tried) fails with an AggregateError whose own message is empty.
  if (error instanceof AggregateError && error.message === '') {
    const messages = error.errors.map((e: unknown) => (e instanceof Error ? e.message : String(e)));
    return oneLine([...new Set(messages)].join('; ') || 'connection failed');
  }
  // undici reports some socket failures with a generic message and the system error as the cause.
  const cause = error.cause instanceof Error ? error.cause.message : undefined;
  return oneLine(cause && !error.message.includes(cause) ? `${error.message} (${cause})` : error.message);
}

/** Drops a body not read: the socket closes; undici's AbortError for it is expected, not a failure. */
/**
 * The whole body, or undefined (and the rest discarded) once it passes {@link MAX_RESPONSE_BYTES}, so a hostile
 * host cannot make Latchkey buffer more than that. Rejects when the transfer fails.
 */
export async function readLimited(body: Dispatcher.ResponseData['body']): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) {
      discard(body);
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => undefined);
  body.destroy();
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** Header values and error texts come from the network: keep the message on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
