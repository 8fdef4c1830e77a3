import { describe, expect, it } from 'vitest';
import type { LatchkeyEvents } from '../src/events.ts';
import {
  logText,
  refusalFields,
  refusalGate,
  refusalKey,
  refusalLine,
  refusalRecord,
  type RefusalRecord,
  type RefusedBy,
} from '../src/refusal-log.ts';

describe('logText makes caller text safe for one line', () => {
  const table: [string, string, number, string][] = [
    ['plain text', 'billing-worker.billing', 256, 'billing-worker.billing'],
    ['empty', '', 256, ''],
    ['a newline (a forged second line)', 'a\nrefused: token', 256, 'a\\x0arefused: token'],
    ['a carriage return', 'a\rb', 256, 'a\\x0db'],
    ['a terminal escape', '\u001b[31mred', 256, '\\x1b[31mred'],
    ['NUL and DEL', 'a\u0000b\u007f', 256, 'a\\x00b\\x7f'],
    ['a C1 next-line', 'a\u0085b', 256, 'a\\x85b'],
    ['a Unicode line separator', 'a\u2028b\u2029', 256, 'a\\u2028b\\u2029'],
    ['a right-to-left override', 'abc\u202edcba', 256, 'abc\\u202edcba'],
    ['bidi isolates', '\u2066x\u2069', 256, '\\u2066x\\u2069'],
    ['a zero-width space and a BOM', 'a\u200bb\ufeff', 256, 'a\\u200bb\\ufeff'],
    ['a lone surrogate', 'a\ud800b', 256, 'a\\ud800b'],
    ['a proper surrogate pair (kept)', 'key 🔑', 256, 'key 🔑'],
    ['__proto__', '__proto__', 256, '__proto__'],
    ['a backslash (doubled, so an escape never stands for itself)', 'a\\x0ab', 256, 'a\\\\x0ab'],
    ['text over the bound', 'x'.repeat(300), 256, `${'x'.repeat(256)}…(44 more)`],
    ['a pair at the bound (not split)', `${'x'.repeat(9)}🔑`, 10, `${'x'.repeat(9)}…(2 more)`],
  ];
  it.each(table)('%s', (_, value, max, expected) => {
    expect(logText(value, max)).toBe(expected);
  });

  it('never returns a control character, whatever it is given', () => {
    let all = '';
    for (let c = 0; c < 0x10000; c++) all += String.fromCharCode(c);
    // eslint-disable-next-line no-control-regex -- control characters are what it looks for
    expect(logText(all, all.length)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/);
  });
});

type TokenFailed = LatchkeyEvents['token.failed'] & RefusedBy;

describe('a refusal as one line for people', () => {
  const table: [string, TokenFailed, string][] = [
    [
      'a client that authenticated, with its default id',
      {
        error: 'invalid_scope',
        grantType: 'client_credentials',
        clientId: 'billing-worker.billing',
        namespace: 'billing',
        detail:
          "scope not granted for https://payments.internal (ResourceServer payments/payments): 'foo' (not declared by the API); this client is granted 'payments:read'",
      },
      "refused: token for client billing-worker.billing: invalid_scope — scope not granted for https://payments.internal (ResourceServer payments/payments): 'foo' (not declared by the API); this client is granted 'payments:read'",
    ],
    [
      'a client with a custom id: its namespace is named',
      { error: 'invalid_target', clientId: 'urn:acme:billing', namespace: 'billing', detail: 'd' },
      'refused: token for client urn:acme:billing (namespace billing): invalid_target — d',
    ],
    [
      'an id that names no client: quoted, as the caller sent it',
      {
        error: 'invalid_client',
        grantType: 'client_credentials',
        presentedClientId: 'nobody.nowhere',
        detail: "unknown client 'nobody.nowhere'",
      },
      "refused: token for client 'nobody.nowhere': invalid_client — unknown client 'nobody.nowhere'",
    ],
    [
      'an id of a client that did not authenticate: quoted, with its namespace',
      {
        error: 'invalid_client',
        presentedClientId: 'billing-worker.billing',
        namespace: 'billing',
        detail: "wrong client_secret for 'billing-worker.billing'",
      },
      "refused: token for client 'billing-worker.billing' (namespace billing): invalid_client — wrong client_secret for 'billing-worker.billing'",
    ],
    [
      'a hostile id: escaped, and its quotes cannot close the quote',
      { error: 'invalid_client', presentedClientId: "x': ok\n\u001b[2Jrefused", detail: 'd' },
      "refused: token for client 'x\\': ok\\x0a\\x1b[2Jrefused': invalid_client — d",
    ],
    [
      'no client id at all',
      { error: 'invalid_request', detail: 'grant_type is missing' },
      'refused: token: invalid_request — grant_type is missing',
    ],
    [
      'a detail with a control character',
      { error: 'invalid_request', detail: 'Unsupported Media Type: a\nb' },
      'refused: token: invalid_request — Unsupported Media Type: a\\x0ab',
    ],
  ];
  it.each(table)('%s', (_, payload, line) => {
    expect(refusalLine(refusalRecord('token.failed', payload))).toBe(line);
  });

  it('names the introspection and revocation endpoints', () => {
    const record = refusalRecord('request.failed', {
      endpoint: 'revocation',
      error: 'unauthorized_client',
      clientId: 'auditor.security',
      namespace: 'security',
      detail: "token issued to 'billing-worker.billing'",
    });
    expect(refusalLine(record)).toBe(
      "refused: revocation for client auditor.security: unauthorized_client — token issued to 'billing-worker.billing'",
    );
  });

  it('bounds a presented client id', () => {
    const record = refusalRecord('token.failed', {
      error: 'invalid_client',
      presentedClientId: 'a'.repeat(10_000),
      detail: 'd',
    });
    expect(record.clientId).toBe(`${'a'.repeat(256)}…(9744 more)`);
  });

  it.each([
    [1, ' [1 similar refusal not shown]'],
    [12, ' [12 similar refusals not shown]'],
  ])('says how many similar refusals were left out (%i)', (suppressed, suffix) => {
    const record = refusalRecord('token.failed', { error: 'invalid_request', detail: 'd' });
    expect(refusalLine(record, suppressed)).toBe(`refused: token: invalid_request — d${suffix}`);
  });
});

describe('a refusal as JSON fields', () => {
  it('has the endpoint, the error, the client, whether it authenticated, the namespace and the detail', () => {
    const record = refusalRecord('token.failed', {
      error: 'invalid_client',
      grantType: 'client_credentials',
      presentedClientId: 'billing-worker.billing',
      namespace: 'billing',
      detail: 'wrong',
    });
    expect(refusalFields(record, 3)).toEqual({
      endpoint: 'token',
      error: 'invalid_client',
      grantType: 'client_credentials',
      clientId: 'billing-worker.billing',
      authenticated: false,
      namespace: 'billing',
      detail: 'wrong',
      suppressed: 3,
    });
    expect(Object.keys(refusalFields(record))).not.toContain('suppressed');
  });
});

describe('which refusals share a rate limit', () => {
  const key = (p: TokenFailed) => refusalKey(refusalRecord('token.failed', p));

  it('gives made-up client ids one key, so inventing ids buys no lines', () => {
    expect(key({ error: 'invalid_client', presentedClientId: 'a', detail: 'x' })).toBe(
      key({ error: 'invalid_client', presentedClientId: 'b', detail: 'y' }),
    );
  });

  it('gives each client in effect, error and endpoint a key of its own', () => {
    const a = key({ error: 'invalid_client', presentedClientId: 'a.ns', namespace: 'ns', detail: 'x' });
    const b = key({ error: 'invalid_client', presentedClientId: 'b.ns', namespace: 'ns', detail: 'x' });
    const scope = key({ error: 'invalid_scope', clientId: 'a.ns', namespace: 'ns', detail: 'x' });
    const revocation = refusalKey(
      refusalRecord('request.failed', {
        endpoint: 'revocation',
        error: 'invalid_client',
        presentedClientId: 'a.ns',
        namespace: 'ns',
        detail: 'x',
      }),
    );
    expect(new Set([a, b, scope, revocation]).size).toBe(4);
  });
});

describe('refusalGate', () => {
  const record: RefusalRecord = { endpoint: 'token', error: 'invalid_client', detail: 'd' };

  it('writes nothing below its threshold', () => {
    const gate = refusalGate({ threshold: 'warn', now: () => 0 });
    expect(gate(record, 'info')).toBeUndefined();
    expect(gate(record, 'error')).toBe(0);
  });

  it('limits the lines at info and counts those left out', () => {
    let now = 0;
    const gate = refusalGate({ threshold: 'info', now: () => now });
    const written = Array.from({ length: 20 }, () => gate(record, 'info'));
    expect(written.filter((s) => s !== undefined)).toEqual([0, 0, 0, 0, 0]);
    now += 12_000;
    expect(gate(record, 'info')).toBe(15);
  });

  it('writes every refusal at debug', () => {
    const gate = refusalGate({ threshold: 'debug', now: () => 0 });
    const written = Array.from({ length: 200 }, () => gate(record, 'info'));
    expect(written.every((s) => s === 0)).toBe(true);
  });
});
