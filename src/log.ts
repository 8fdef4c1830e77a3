import { pino, type DestinationStream, type Logger } from 'pino';
import { systemClock, type Clock } from './clock.ts';
import type { EventBus, EventName, LatchkeyEvents } from './events.ts';
import { DEFAULT_LOG_LEVEL, EVENT_LEVELS, eventLevel, writes, type LogLevel } from './log-level.ts';
import { refusalFields, refusalGate, refusalLine, refusalRecord } from './refusal-log.ts';

/** Paths pino censors wherever they occur, so a secret that slips into a log call never reaches the output. */
export const REDACT_PATHS = [
  'client_secret',
  'clientSecret',
  'secret',
  'password',
  'authorization',
  'access_token',
  'client_assertion',
  '*.client_secret',
  '*.clientSecret',
  '*.secret',
  '*.password',
  '*.authorization',
  '*.access_token',
  '*.client_assertion',
  'req.headers.authorization',
  'data',
  '*.data',
];

/** A JSON logger that censors {@link REDACT_PATHS}; `now` sets the `time` field's clock (tests freeze it). */
export function createLogger(
  destination?: DestinationStream,
  level: LogLevel = DEFAULT_LOG_LEVEL,
  now?: Clock,
): Logger {
  return pino(
    {
      level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      ...(now !== undefined ? { timestamp: () => `,"time":${now()}` } : {}),
    },
    destination,
  );
}

/**
 * Every event, as one structured line at its level ({@link eventLevel}). A refused request is one line whose
 * `msg` reads as `latchkey dev` prints it, rate-limited unless the logger is at debug (see refusal-log.ts).
 */
export function logEvents(events: EventBus, logger: Logger, options: { now?: Clock } = {}): void {
  const threshold = logger.level as LogLevel;
  const gate = refusalGate({ threshold, now: options.now ?? systemClock });
  for (const name of Object.keys(EVENT_LEVELS) as EventName[]) {
    if (name === 'token.failed' || name === 'request.failed') {
      events.on(name, (payload: LatchkeyEvents[typeof name]) => {
        const level = eventLevel(name, payload);
        if (!writes(threshold, level)) return;
        const record = refusalRecord(name, payload);
        const suppressed = gate(record, level);
        if (suppressed === undefined) return;
        logger[level]({ event: name, ...refusalFields(record, suppressed) }, refusalLine(record, suppressed));
      });
      continue;
    }
    events.on(name, (payload: LatchkeyEvents[typeof name]) =>
      logger[eventLevel(name, payload)]({ event: name, ...payload }, name),
    );
  }
}
