import { describe, expect, it } from 'vitest';
import { readyText, type ReadyParts } from '../../src/dev/ready.ts';
import { statusLine } from '../../src/cli/status-line.ts';

const CURL =
  'curl -s -d client_id=w.billing -d client_secret="$(sed -n \'s/^  client_secret: //p\' s.yaml | base64 -d)" http://127.0.0.1:8080/oauth2/token';

describe('readyText', () => {
  it.each<[string, ReadyParts, string]>([
    [
      'names the issuer and a command to try',
      { issuer: 'http://127.0.0.1:8080', tryIt: CURL },
      `Latchkey dev is ready: issuer http://127.0.0.1:8080 | try: ${CURL}`,
    ],
    [
      'says where it listens when the issuer names another address',
      { issuer: 'https://auth.example.com', listening: 'http://127.0.0.1:8080', tryIt: CURL },
      `Latchkey dev is ready: issuer https://auth.example.com (listening on http://127.0.0.1:8080) | try: ${CURL}`,
    ],
    [
      'puts a sign-in to try on a line of its own, after the line scripts wait for',
      {
        issuer: 'http://127.0.0.1:8080',
        tryIt: CURL,
        signIn: 'http://127.0.0.1:8080/oauth2/authorize?… (PKCE code_verifier v)',
      },
      `Latchkey dev is ready: issuer http://127.0.0.1:8080 | try: ${CURL}\nsign in: http://127.0.0.1:8080/oauth2/authorize?… (PKCE code_verifier v)`,
    ],
    [
      'says why there is nothing to try',
      { issuer: 'http://127.0.0.1:8080' },
      'Latchkey dev is ready: issuer http://127.0.0.1:8080 | try: (no client is ready yet)',
    ],
  ])('%s', (_, parts, text) => {
    expect(readyText(parts)).toBe(text);
  });
});

describe('statusLine', () => {
  const ready = {
    event: 'dev.ready',
    msg: 'Latchkey dev is ready',
    text: 'Latchkey dev is ready: issuer http://127.0.0.1:8080 | try: …',
    fields: { issuer: 'http://127.0.0.1:8080', listening: undefined, tryIt: CURL },
  };

  it('is the text line in text mode', () => {
    expect(statusLine('text', ready, 0)).toBe(`${ready.text}\n`);
  });

  it('is one JSON record in the shape of the log lines around it with --log-format json', () => {
    const line = statusLine('json', ready, 1_800_000_000_000);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      level: 30,
      time: 1_800_000_000_000,
      event: 'dev.ready',
      issuer: 'http://127.0.0.1:8080',
      tryIt: CURL,
      msg: 'Latchkey dev is ready',
    });
  });
});
