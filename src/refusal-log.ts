import type { Clock } from './clock.ts';
import type { LatchkeyEvents } from './events.ts';
import { writes, type LogLevel } from './log-level.ts';
import { LogRateLimit, type LogRateLimitOptions } from './log-rate-limit.ts';

/** The endpoints whose refusals are logged. */
export type RefusalEndpoint = 'token' | 'introspection' | 'revocation' | 'userinfo';

/**
 * A refused request as the log shows it: the endpoint, the RFC 6749 §5.2 error code, the private detail that
 * says why (never in the response body), and who asked. Every text a caller could have chosen is bounded
 * and escaped ({@link logText}); nothing here is a secret, an assertion, a token or a header.
 */
export interface RefusalRecord {
  readonly endpoint: RefusalEndpoint;
  readonly error: string;
  readonly detail: string;
  readonly grantType?: string;
  /** The client that authenticated, else the client id the request named (see {@link authenticated}). */
  readonly clientId?: string;
  /** Whether {@link clientId} authenticated; false: it is only what the caller sent. */
  readonly authenticated?: boolean;
  /** The namespace of the OAuthClient, when the client id is one in effect. */
  readonly namespace?: string;
}

/** The longest client id logged: ids have at most 254 characters (api/oauth-client.ts). */
export const MAX_LOGGED_CLIENT_ID = 256;
/** The longest detail logged; details quote caller values at most 100 characters each. */
export const MAX_LOGGED_DETAIL = 1024;

type TokenFailed = LatchkeyEvents['token.failed'];
type RequestFailed = LatchkeyEvents['request.failed'];

/** What the refusal events (`token.failed`, `request.failed`) say about who asked, besides `clientId`. */
export interface RefusedBy {
  /**
   * The client id the request named (HTTP Basic, `client_id`, or the unverified `sub` of a client assertion)
   * when no client authenticated: what the caller sent, of any length and content, so never a metric label.
   */
  presentedClientId?: string;
  /** The namespace of the OAuthClient the request authenticated as or named, when one is in effect. */
  namespace?: string;
}

/** A `token.failed` or `request.failed` payload. */
export type RefusalEvent = (TokenFailed | RequestFailed) & RefusedBy;

/** The record of a `token.failed` or `request.failed` event. */
export function refusalRecord(name: 'token.failed' | 'request.failed', payload: RefusalEvent): RefusalRecord {
  const endpoint: RefusalEndpoint = name === 'token.failed' ? 'token' : (payload as RequestFailed).endpoint;
  const grantType = name === 'token.failed' ? (payload as TokenFailed).grantType : undefined;
  const presented = payload.clientId === undefined ? payload.presentedClientId : undefined;
  const clientId = payload.clientId ?? presented;
  return {
    endpoint,
    error: logText(payload.error, 64),
    detail: logText(payload.detail, MAX_LOGGED_DETAIL),
    ...(grantType !== undefined ? { grantType: logText(grantType, 128) } : {}),
    ...(clientId !== undefined
      ? {
          clientId: logText(clientId, MAX_LOGGED_CLIENT_ID),
          authenticated: payload.clientId !== undefined,
        }
      : {}),
    ...(payload.namespace !== undefined ? { namespace: logText(payload.namespace, 63) } : {}),
  };
}

/**
 * What refusals of the same kind share for rate limiting: endpoint, error, and the client when it is one in
 * effect. Client ids that name no client share one key, so a caller sending made-up ids gets no more lines
 * than one sending the same id.
 */
export function refusalKey(r: RefusalRecord): string {
  const client = r.namespace !== undefined && r.clientId !== undefined ? r.clientId : '';
  return `${r.endpoint}\u0000${r.error}\u0000${client}`;
}

/**
 * One line for people, as `latchkey dev` prints it and the JSON log's `msg` carries it.
 *
 * @example
 * refusalLine({ endpoint: 'token', error: 'invalid_scope', clientId: 'app.team-a', authenticated: true,
 *   namespace: 'team-a', detail: "scope not granted for https://api.internal: 'foo' (…)" });
 * // "refused: token for client app.team-a: invalid_scope — scope not granted for https://api.internal: 'foo' (…)"
 */
export function refusalLine(r: RefusalRecord, suppressed = 0): string {
  const more =
    suppressed > 0 ? ` [${suppressed} similar ${suppressed === 1 ? 'refusal' : 'refusals'} not shown]` : '';
  return `refused: ${r.endpoint}${whoOf(r)}: ${r.error} — ${r.detail}${more}`;
}

function whoOf(r: RefusalRecord): string {
  if (r.clientId === undefined) return '';
  // An id the caller sent is quoted, so a made-up one cannot pass for a part of the line.
  const id = r.authenticated === true ? r.clientId : `'${r.clientId.replace(/'/g, "\\'")}'`;
  const ns =
    r.namespace !== undefined && !(r.authenticated === true && r.clientId.endsWith(`.${r.namespace}`))
      ? ` (namespace ${r.namespace})`
      : '';
  return ` for client ${id}${ns}`;
}

/** The fields of the JSON log line, in a fixed order; `event` and `msg` are added by the logger. */
export function refusalFields(r: RefusalRecord, suppressed = 0): Record<string, unknown> {
  return {
    endpoint: r.endpoint,
    error: r.error,
    ...(r.grantType !== undefined ? { grantType: r.grantType } : {}),
    ...(r.clientId !== undefined ? { clientId: r.clientId, authenticated: r.authenticated } : {}),
    ...(r.namespace !== undefined ? { namespace: r.namespace } : {}),
    detail: r.detail,
    ...(suppressed > 0 ? { suppressed } : {}),
  };
}

// C0 and C1 controls, DEL, line and paragraph separators, bidirectional and zero-width formatting characters
// and the byte order mark: what could end a line, hide text or reorder it on a terminal. Lone surrogates too,
// and the backslash, so that an escape in the output always stands for the character, never for itself.
const UNSAFE =
  // eslint-disable-next-line no-control-regex -- control characters are what it finds
  /[\\\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]|[\ud800-\udfff]/gu;

function escapeChar(c: string): string {
  if (c === '\\') return '\\\\';
  const code = c.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * Text a caller may have chosen, made safe for one log line: at most `max` UTF-16 units (a surrogate pair is
 * never split; the rest is counted), every control or formatting character escaped as `\xNN`/`\uNNNN`, and
 * `\` doubled.
 *
 * @example
 * logText('a\nb', 10); // 'a\\x0ab'
 */
export function logText(value: string, max: number): string {
  let text = value;
  let cut = '';
  if (value.length > max) {
    let end = max;
    const last = value.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end -= 1;
    text = value.slice(0, end);
    cut = `…(${value.length - end} more)`;
  }
  return text.replace(UNSAFE, escapeChar) + cut;
}

/** What a log needs to decide whether a refusal is written: its level and a clock for the rate limit. */
export interface RefusalGateOptions extends Partial<Omit<LogRateLimitOptions, 'now'>> {
  threshold: LogLevel;
  now: Clock;
}

/**
 * Decides which refusals a log writes: those at or above its threshold, rate-limited per
 * {@link refusalKey} unless the log is at debug (whoever asks for debug asked for every line).
 *
 * @returns undefined to write nothing, else how many similar refusals were left out since the last line
 */
export function refusalGate(
  options: RefusalGateOptions,
): (r: RefusalRecord, level: LogLevel) => number | undefined {
  const limit = new LogRateLimit(options);
  return (r, level) => {
    if (!writes(options.threshold, level)) return undefined;
    if (options.threshold === 'debug') return 0;
    return limit.admit(refusalKey(r));
  };
}
