import { pino, type DestinationStream, type Logger } from 'pino';
import type { EventBus, EventName, LatchkeyEvents } from './events.ts';

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

export function createLogger(destination?: DestinationStream, level = 'info'): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: undefined }, destination);
}

/** Every event, as one structured log line; token events at debug, since they are the hot path. */
export function logEvents(events: EventBus, logger: Logger): void {
  const levels: Record<EventName, 'debug' | 'info' | 'warn' | 'error'> = {
    'token.issued': 'debug',
    'token.failed': 'debug',
    'token.introspected': 'debug',
    'token.revoked': 'debug',
    'request.failed': 'debug',
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
  };
  for (const name of Object.keys(levels) as EventName[]) {
    events.on(name, (payload: LatchkeyEvents[typeof name]) =>
      logger[levels[name]]({ event: name, ...payload }, name),
    );
  }
}
