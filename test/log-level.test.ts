import { describe, expect, it } from 'vitest';
import { ConfigError } from '../src/config-error.ts';
import { EventBus, type EventName } from '../src/events.ts';
import {
  EVENT_LEVELS,
  eventLevel,
  eventsAtLevel,
  LOG_LEVELS,
  logLevelOption,
  writes,
  type LogLevel,
} from '../src/log-level.ts';

describe('--log-level', () => {
  it('is info when absent', () => {
    expect(logLevelOption(undefined)).toBe('info');
  });

  it.each(LOG_LEVELS)('accepts %s', (level) => {
    expect(logLevelOption(level)).toBe(level);
  });

  it.each(['verbose', 'INFO', 'Info', '', ' info', 'trace', 'fatal', 'silent', '__proto__', 'warning'])(
    'refuses %j, naming the flag and the allowed values',
    (value) => {
      expect(() => logLevelOption(value)).toThrow(ConfigError);
      expect(() => logLevelOption(value)).toThrow(
        `--log-level: must be one of debug, info, warn, error, got ${JSON.stringify(value)}`,
      );
    },
  );
});

describe('which levels a log writes', () => {
  const table: [LogLevel, LogLevel, boolean][] = [
    ['debug', 'debug', true],
    ['debug', 'error', true],
    ['info', 'debug', false],
    ['info', 'info', true],
    ['info', 'warn', true],
    ['warn', 'info', false],
    ['warn', 'warn', true],
    ['warn', 'error', true],
    ['error', 'warn', false],
    ['error', 'error', true],
  ];
  it.each(table)('a log at %s writes %s: %s', (threshold, level, written) => {
    expect(writes(threshold, level)).toBe(written);
  });
});

describe('the level of an event', () => {
  it('logs refused requests at info, so the default level shows them', () => {
    expect(eventLevel('token.failed', { error: 'invalid_scope', detail: 'x' })).toBe('info');
    expect(
      eventLevel('request.failed', { endpoint: 'revocation', error: 'unauthorized_client', detail: 'x' }),
    ).toBe('info');
  });

  it('logs a refusal that is our fault (server_error) at error', () => {
    expect(eventLevel('token.failed', { error: 'server_error', detail: 'no active signing key' })).toBe(
      'error',
    );
    expect(
      eventLevel('request.failed', { endpoint: 'introspection', error: 'server_error', detail: 'x' }),
    ).toBe('error');
  });

  it('keeps temporarily_unavailable at info: the outage itself is state.unavailable, at error', () => {
    expect(eventLevel('token.failed', { error: 'temporarily_unavailable', detail: 'x' })).toBe('info');
    expect(EVENT_LEVELS['state.unavailable']).toBe('error');
  });

  it('logs a device waiting as it should (RFC 8628 §3.5) at debug, and its other answers as refusals', () => {
    expect(eventLevel('token.failed', { error: 'authorization_pending', detail: 'x' })).toBe('debug');
    expect(eventLevel('token.failed', { error: 'slow_down', detail: 'x' })).toBe('debug');
    expect(eventLevel('token.failed', { error: 'access_denied', detail: 'x' })).toBe('info');
    expect(eventLevel('token.failed', { error: 'expired_token', detail: 'x' })).toBe('info');
  });

  it('keeps the tokens issued at debug: they are the hot path', () => {
    expect(EVENT_LEVELS['token.issued']).toBe('debug');
    expect(EVENT_LEVELS['token.introspected']).toBe('debug');
    expect(EVENT_LEVELS['token.revoked']).toBe('debug');
  });
});

describe('eventsAtLevel', () => {
  function relayed(threshold: LogLevel): EventName[] {
    const source = new EventBus();
    const seen: EventName[] = [];
    const filtered = eventsAtLevel(source, threshold);
    for (const name of Object.keys(EVENT_LEVELS) as EventName[]) filtered.on(name, () => seen.push(name));
    source.emit('store.swapped', {
      version: 1,
      clients: 1,
      clientsInEffect: 1,
      clientsBlocked: 0,
      apis: 1,
      notReady: 0,
    });
    source.emit('object.notReady', { key: 'OAuthClient/a/b', reason: 'R', message: 'm' });
    source.emit('token.failed', { error: 'invalid_client', detail: 'd' });
    source.emit('token.failed', { error: 'server_error', detail: 'd' });
    source.emit('manifest.invalid', { file: 'f', line: 1, object: 'o', field: '', message: 'm' });
    source.emit('token.issued', { clientId: 'c', grantType: 'g', audience: 'a', algorithm: 'RS256' });
    return seen;
  }

  it('relays everything at debug', () => {
    expect(relayed('debug')).toEqual([
      'store.swapped',
      'object.notReady',
      'token.failed',
      'token.failed',
      'manifest.invalid',
      'token.issued',
    ]);
  });

  it('relays refusals and changes at info, not the tokens issued', () => {
    expect(relayed('info')).toEqual([
      'store.swapped',
      'object.notReady',
      'token.failed',
      'token.failed',
      'manifest.invalid',
    ]);
  });

  it('leaves out every info line at warn, but not a server_error refusal', () => {
    expect(relayed('warn')).toEqual(['object.notReady', 'token.failed', 'manifest.invalid']);
  });

  it('relays only errors at error', () => {
    expect(relayed('error')).toEqual(['token.failed', 'manifest.invalid']);
  });
});
