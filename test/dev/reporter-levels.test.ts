import { describe, expect, it } from 'vitest';
import { reportEvents } from '../../src/dev/reporter.ts';
import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import type { LogLevel } from '../../src/log-level.ts';
import type { RefusalEvent } from '../../src/refusal-log.ts';

function reporter(level?: LogLevel) {
  const lines: string[] = [];
  const events = new EventBus();
  const clock = { ms: 0 };
  reportEvents(events, (line) => lines.push(line), {
    ...(level !== undefined ? { level } : {}),
    now: () => clock.ms,
  });
  return { lines, events, clock };
}

const SCOPE_REFUSAL = {
  error: 'invalid_scope',
  grantType: 'client_credentials',
  clientId: 'billing-worker.billing',
  namespace: 'billing',
  detail:
    "scope not granted for https://payments.internal (ResourceServer payments/payments): 'foo' (not declared by the API); this client is granted 'payments:read'",
};

describe('latchkey dev prints refused requests', () => {
  it('as one readable line by default', () => {
    const { lines, events } = reporter();
    events.emit('token.failed', SCOPE_REFUSAL);
    expect(lines).toEqual([
      "refused: token for client billing-worker.billing: invalid_scope — scope not granted for https://payments.internal (ResourceServer payments/payments): 'foo' (not declared by the API); this client is granted 'payments:read'",
    ]);
  });

  it('at introspection and revocation too', () => {
    const { lines, events } = reporter();
    const refused: RefusalEvent & LatchkeyEvents['request.failed'] = {
      endpoint: 'introspection',
      error: 'invalid_client',
      presentedClientId: 'auditor.security',
      namespace: 'security',
      detail: "wrong client_secret for 'auditor.security'",
    };
    events.emit('request.failed', refused);
    expect(lines).toEqual([
      "refused: introspection for client 'auditor.security' (namespace security): invalid_client — wrong client_secret for 'auditor.security'",
    ]);
  });

  it('five of a kind at once, then one every 12 s with the count of those not shown', () => {
    const { lines, events, clock } = reporter();
    for (let i = 0; i < 9; i++) events.emit('token.failed', SCOPE_REFUSAL);
    clock.ms += 12_000;
    events.emit('token.failed', SCOPE_REFUSAL);
    expect(lines).toHaveLength(6);
    expect(lines[5]).toMatch(/ \[4 similar refusals not shown\]$/);
  });
});

describe('latchkey dev --log-level', () => {
  function emitAll(events: EventBus): void {
    events.emit('store.swapped', {
      version: 1,
      clients: 2,
      clientsInEffect: 2,
      clientsBlocked: 0,
      apis: 1,
      notReady: 0,
    });
    events.emit('secret.issued', {
      namespace: 'billing',
      name: 'w-oauth',
      clientId: 'w.billing',
      reason: 'created',
    });
    events.emit('token.failed', SCOPE_REFUSAL);
    events.emit('token.issued', {
      clientId: 'w.billing',
      grantType: 'client_credentials',
      audience: 'https://payments.internal',
      algorithm: 'RS256',
    });
    events.emit('object.notReady', { key: 'OAuthClient/billing/w', reason: 'SecretMissing', message: 'm' });
    events.emit('manifest.invalid', {
      file: 'a.yaml',
      line: 3,
      object: 'OAuthClient/billing/w',
      field: 'spec',
      message: 'm',
    });
  }

  it('warn leaves out the info lines: applied, secret and refused', () => {
    const { lines, events } = reporter('warn');
    emitAll(events);
    expect(lines).toEqual([
      'not ready: OAuthClient billing/w (SecretMissing): m',
      'invalid: a.yaml:3: OAuthClient/billing/w: spec: m',
    ]);
  });

  it('error prints only errors', () => {
    const { lines, events } = reporter('error');
    emitAll(events);
    events.emit('token.failed', { error: 'server_error', detail: 'no active signing key for RS256' });
    expect(lines).toEqual([
      'invalid: a.yaml:3: OAuthClient/billing/w: spec: m',
      'refused: token: server_error — no active signing key for RS256',
    ]);
  });

  it('info (the default) prints every line but the tokens issued', () => {
    const { lines, events } = reporter();
    emitAll(events);
    expect(lines.map((l) => l.split(':')[0])).toEqual([
      'applied',
      'secret',
      'refused',
      'not ready',
      'invalid',
    ]);
  });

  it('debug adds the tokens issued', () => {
    const { lines, events } = reporter('debug');
    emitAll(events);
    expect(lines).toContain(
      'debug: token.issued clientId=w.billing grantType=client_credentials audience=https://payments.internal algorithm=RS256',
    );
  });
});
