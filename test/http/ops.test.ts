import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRETS, basic, post, startHarness, type Harness } from './harness.ts';
import { Registry } from 'prom-client';
import { createOpsServer } from '../../src/server/ops.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

function sample(metrics: string, line: string): number | undefined {
  const found = metrics.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('GET /metrics', () => {
  it('counts tokens issued and refused, and HTTP requests by route template', async () => {
    const endpoint = h.servers.tokenEndpoint;
    await post(endpoint, 'grant_type=client_credentials', {
      authorization: basic('billing-worker.billing', SECRETS['billing-worker.billing']),
    });
    await post(endpoint, 'grant_type=client_credentials', {
      authorization: basic('billing-worker.billing', 'nope'),
    });
    await post(endpoint, 'grant_type=password', {
      authorization: basic('billing-worker.billing', SECRETS['billing-worker.billing']),
    });
    await fetch(`${h.servers.issuer}/no/such/path/${'x'.repeat(10)}`);

    const res = await fetch(`${h.opsUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sample(text, 'latchkey_tokens_issued_total{grant_type="client_credentials"}')).toBe(1);
    // The client label of refusals has a test of its own (token-failure-metrics.test.ts).
    expect(text).toMatch(
      /^latchkey_token_failures_total\{grant_type="client_credentials",error="invalid_client",reason="invalid_client\/bad_secret",client="[^"]+"\} 1$/m,
    );
    expect(
      sample(
        text,
        'latchkey_token_failures_total{grant_type="unknown",error="unsupported_grant_type",reason="unsupported_grant_type",client="billing-worker.billing"}',
      ),
    ).toBe(1);
    expect(
      sample(text, 'latchkey_http_requests_total{route="/oauth2/token",method="POST",status="200"}'),
    ).toBe(1);
    expect(
      sample(text, 'latchkey_http_requests_total{route="/oauth2/token",method="POST",status="401"}'),
    ).toBe(1);
    expect(sample(text, 'latchkey_http_requests_total{route="unmatched",method="GET",status="404"}')).toBe(1);
    expect(
      sample(text, 'latchkey_http_request_duration_seconds_count{route="/oauth2/token",method="POST"}'),
    ).toBe(3);
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).not.toContain('/no/such/path');
  });
});

describe('GET /healthz and /readyz', () => {
  it('answers /healthz with 200 while the process runs', async () => {
    const res = await fetch(`${h.opsUrl}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('flips /readyz with the readiness callback', async () => {
    h.readiness.value = true;
    let res = await fetch(`${h.opsUrl}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready' });

    h.readiness.value = false;
    res = await fetch(`${h.opsUrl}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not ready', reason: 'not ready' });

    h.readiness.value = { ready: false, reason: 'the first snapshot is not loaded yet' };
    res = await fetch(`${h.opsUrl}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'not ready', reason: 'the first snapshot is not loaded yet' });

    h.readiness.value = { ready: true };
    expect((await fetch(`${h.opsUrl}/readyz`)).status).toBe(200);
  });

  it('does not serve the token endpoint on the ops port, nor metrics on the public port', async () => {
    expect((await fetch(`${h.opsUrl}/oauth2/token`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(`${h.servers.issuer}/metrics`)).status).toBe(404);
  });
});

describe('partial dependencies: /readyz/<name>', () => {
  it('names a partial dependency that is down in /readyz without failing it, and fails /readyz/<name>', async () => {
    let state: boolean | { ready: false; reason: string } = true;
    const ops = createOpsServer({
      registry: new Registry(),
      ready: () => true,
      partial: { state: () => state },
    });
    try {
      expect((await ops.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
      expect((await ops.inject({ url: '/readyz/state' })).statusCode).toBe(200);

      state = { ready: false, reason: 'the runtime state (postgres) does not answer' };
      const whole = await ops.inject({ url: '/readyz' });
      expect(whole.statusCode).toBe(200);
      expect(whole.json()).toEqual({
        status: 'ready',
        degraded: { state: 'the runtime state (postgres) does not answer' },
      });
      const part = await ops.inject({ url: '/readyz/state' });
      expect(part.statusCode).toBe(503);
      expect(part.json()).toEqual({
        status: 'not ready',
        reason: 'the runtime state (postgres) does not answer',
      });
    } finally {
      await ops.close();
    }
  });
});
