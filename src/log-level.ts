import { ConfigError } from './config-error.ts';
import { EventBus, type EventName, type LatchkeyEvents } from './events.ts';

/** Log levels, least severe first: a log at one level writes that level and every later one. */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

/** The `error` codes of a device polling as it should (RFC 8628 §3.5, src/people/device/poll-errors.ts). */
const WAITING_ERRORS: ReadonlySet<string> = new Set(['authorization_pending', 'slow_down']);

/** The default: refusals, changes and problems, but not every token issued. */
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

/** `--log-level`, shared by `latchkey operator` and `latchkey dev` (an option-table row). */
export const LOG_LEVEL_OPTION = {
  name: 'log-level',
  type: 'string',
  value: 'LEVEL',
  default: DEFAULT_LOG_LEVEL,
  description:
    'debug, info, warn or error: the least severe lines written. Refused token, introspection and revocation requests are info, with their reason, a few a minute per client and error; debug writes every one, and every token issued',
} as const;

/**
 * Reads `--log-level`.
 *
 * @throws {ConfigError} naming the flag and the allowed values
 * @example
 * logLevelOption('warn'); // 'warn'
 */
export function logLevelOption(value: string | undefined, flag = '--log-level'): LogLevel {
  if (value === undefined) return DEFAULT_LOG_LEVEL;
  if (!isLogLevel(value)) {
    throw new ConfigError(flag, `must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(value)}`);
  }
  return value;
}

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Whether a log at `threshold` writes a line at `level`. */
export function writes(threshold: LogLevel, level: LogLevel): boolean {
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

/**
 * The level of each event. Requests that succeed are debug: they are the hot path. A refused request is info
 * (see {@link eventLevel}): it is what the person debugging a client needs, and a caller decides how many
 * there are, so it is neither warn (which should mean the server needs attention) nor error.
 */
export const EVENT_LEVELS: Readonly<Record<EventName, LogLevel>> = {
  'token.issued': 'debug',
  'token.failed': 'info',
  'token.introspected': 'debug',
  'token.revoked': 'debug',
  'request.failed': 'info',
  'revocation.evicted': 'warn',
  // Any request can raise it: logged per request only at debug, like the token events.
  'issuer.unknownKey': 'debug',
  'store.swapped': 'info',
  'object.notReady': 'warn',
  'manifest.invalid': 'error',
  'secret.issued': 'info',
  'keys.created': 'info',
  'keys.published': 'info',
  'keys.revoked': 'warn',
  'keys.removed': 'info',
  'reconcile.failed': 'warn',
  'connection.fetchFailed': 'warn',
  'state.unavailable': 'error',
  'state.recovered': 'info',
  'keys.restored': 'warn',
  'keys.corrupt': 'error',
  'watch.reconnected': 'warn',
  'watch.relisted': 'info',
  'tls.reloaded': 'info',
  'tls.reloadFailed': 'error',
  // Per attempt, like refusals: a brute force shows in latchkey_sign_in_throttled_total, not a flood of warnings.
  'signIn.failed': 'info',
  'signIn.throttled': 'info',
  'signIn.pendingRefused': 'info',
  'signIn.deviceAnswered': 'info',
};

/**
 * The level one event is logged at: {@link EVENT_LEVELS}, except that a request refused with `server_error`
 * is error, since that is a fault of ours. `temporarily_unavailable` stays info: the outage behind it is
 * logged once, at error, by `state.unavailable`.
 */
export function eventLevel<E extends EventName>(name: E, payload: LatchkeyEvents[E]): LogLevel {
  if (name === 'token.failed' || name === 'request.failed') {
    const { error } = payload as { error: string };
    if (error === 'server_error') return 'error';
    // A device polling as it should (RFC 8628 §3.5) is waiting, not refused: one line per poll would flood.
    if (WAITING_ERRORS.has(error)) return 'debug';
  }
  return EVENT_LEVELS[name];
}

/**
 * A bus that carries only the events a log at `threshold` writes, for a reporter that subscribes to events
 * by name: `--log-level warn` leaves out its info lines without each subscription checking.
 */
export function eventsAtLevel(source: EventBus, threshold: LogLevel): EventBus {
  const filtered = new EventBus();
  for (const name of Object.keys(EVENT_LEVELS) as EventName[]) {
    // Only a refusal's level depends on its payload; other events below the threshold are never relayed.
    const refusal = name === 'token.failed' || name === 'request.failed';
    if (!refusal && !writes(threshold, EVENT_LEVELS[name])) continue;
    source.on(name, (payload: LatchkeyEvents[typeof name]) => {
      if (writes(threshold, eventLevel(name, payload))) filtered.emit(name, payload);
    });
  }
  return filtered;
}
