import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../src/events.ts';
import { createLogger, logEvents } from '../src/log.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, logger: createLogger(stream, 'debug') };
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
