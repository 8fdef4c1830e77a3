import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../src/events.ts';
import type { LogLevel } from '../src/log-level.ts';
import { createLogger, logEvents } from '../src/log.ts';

function capture(level: LogLevel = 'debug') {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, logger: createLogger(stream, level, () => 1_900_000_000_000) };
}

describe('logging', () => {
  it('censors secrets wherever a log call puts them', () => {
    const { lines, logger } = capture();
    const secret = 'S3cr3t-value-that-must-not-leak';
    logger.info({ client_secret: secret, req: { headers: { authorization: `Basic ${secret}` } } }, 'x');
    logger.info({ body: { client_secret: secret, clientSecret: secret, password: secret } }, 'y');
    logger.info({ secret: { data: { client_secret: secret } } }, 'z');
    expect(lines).toHaveLength(3);
    for (const line of lines) expect(line).not.toContain(secret);
    expect(lines.join('')).toContain('[redacted]');
  });

  it('writes every event as one structured line', () => {
    const { lines, logger } = capture();
    const events = new EventBus();
    logEvents(events, logger);
    events.emit('secret.issued', { namespace: 'n', name: 's', clientId: 'c', reason: 'created' });
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      event: 'secret.issued',
      namespace: 'n',
      clientId: 'c',
    });
  });
});

describe('logging refused requests', () => {
  const refusal = {
    error: 'invalid_scope',
    grantType: 'client_credentials',
    clientId: 'billing-worker.billing',
    namespace: 'billing',
    detail:
      "scope not granted for https://payments.internal (ResourceServer payments/payments): 'foo' (not declared by the API); this client is granted 'payments:read'",
  };

  it('writes a refusal at info as one line that reads as dev mode prints it', () => {
    const { lines, logger } = capture('info');
    const events = new EventBus();
    logEvents(events, logger, { now: () => 0 });
    events.emit('token.failed', refusal);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toEqual({
      level: 30,
      time: 1_900_000_000_000,
      event: 'token.failed',
      endpoint: 'token',
      error: 'invalid_scope',
      grantType: 'client_credentials',
      clientId: 'billing-worker.billing',
      authenticated: true,
      namespace: 'billing',
      detail: refusal.detail,
      msg: `refused: token for client billing-worker.billing: invalid_scope — ${refusal.detail}`,
    });
  });

  it('writes a server_error refusal at error', () => {
    const { lines, logger } = capture('error');
    const events = new EventBus();
    logEvents(events, logger, { now: () => 0 });
    events.emit('token.failed', { error: 'server_error', detail: 'no active signing key for RS256' });
    expect(JSON.parse(lines[0] as string)).toMatchObject({ level: 50, error: 'server_error' });
  });

  it('writes nothing at info and below with --log-level warn, and keeps warnings and errors', () => {
    const { lines, logger } = capture('warn');
    const events = new EventBus();
    logEvents(events, logger, { now: () => 0 });
    events.emit('token.failed', refusal);
    events.emit('request.failed', { endpoint: 'introspection', error: 'invalid_client', detail: 'd' });
    events.emit('store.swapped', {
      version: 1,
      clients: 1,
      clientsInEffect: 1,
      clientsBlocked: 0,
      apis: 1,
      notReady: 0,
    });
    events.emit('secret.issued', { namespace: 'n', name: 's', clientId: 'c', reason: 'created' });
    events.emit('token.issued', { clientId: 'c', grantType: 'g', audience: 'a', algorithm: 'RS256' });
    events.emit('object.notReady', { key: 'OAuthClient/n/c', reason: 'SecretMissing', message: 'm' });
    events.emit('tls.reloadFailed', { message: 'm' });
    expect(lines.map((l) => (JSON.parse(l) as { event: string }).event)).toEqual([
      'object.notReady',
      'tls.reloadFailed',
    ]);
  });

  it('writes five refusals of a kind at once, then one every 12 s saying how many were left out', () => {
    const { lines, logger } = capture('info');
    let now = 0;
    const events = new EventBus();
    logEvents(events, logger, { now: () => now });
    for (let i = 0; i < 20; i++) events.emit('token.failed', refusal);
    expect(lines).toHaveLength(5);
    now += 12_000;
    events.emit('token.failed', refusal);
    const last = JSON.parse(lines[5] as string) as { suppressed: number; msg: string };
    expect(last.suppressed).toBe(15);
    expect(last.msg).toMatch(/ \[15 similar refusals not shown\]$/);
  });

  it('writes every refusal at debug', () => {
    const { lines, logger } = capture('debug');
    const events = new EventBus();
    logEvents(events, logger, { now: () => 0 });
    for (let i = 0; i < 20; i++) events.emit('token.failed', refusal);
    expect(lines).toHaveLength(20);
  });
});
