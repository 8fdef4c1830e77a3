import { describe, expect, it } from 'vitest';
import { parseDevArgs } from '../../src/dev/config.ts';
import { parseOperatorArgs } from '../../src/operator/config.ts';
import { DEFAULT_HTTP_LIMITS, httpLimitsOption, serverOptions } from '../../src/server/http-limits.ts';

describe('HTTP listener limits', () => {
  it('default to 10s headers, 30s request, 30s idle, 65s keep-alive and 4096 connections', () => {
    expect(httpLimitsOption({})).toEqual({
      headersTimeoutMs: 10_000,
      requestTimeoutMs: 30_000,
      idleTimeoutMs: 30_000,
      keepAliveTimeoutMs: 65_000,
      maxConnections: 4096,
    });
  });

  it('are read from the same options by the operator and dev mode', () => {
    const argv = [
      ...['--headers-timeout', '2s', '--request-timeout', '5s', '--idle-timeout', '1m'],
      ...['--keep-alive-timeout', '620s', '--max-connections', '100'],
    ];
    const expected = {
      headersTimeoutMs: 2_000,
      requestTimeoutMs: 5_000,
      idleTimeoutMs: 60_000,
      keepAliveTimeoutMs: 620_000,
      maxConnections: 100,
    };
    expect(parseOperatorArgs(['--issuer', 'http://x', ...argv], undefined).httpLimits).toEqual(expected);
    expect(parseDevArgs(argv, '/w').httpLimits).toEqual(expected);
  });

  it.each([
    [{ 'headers-timeout': '0s' }, '--headers-timeout: must be a duration from 100ms to 1h, got "0s"'],
    [{ 'request-timeout': 'soon' }, '--request-timeout: must be a duration from 100ms to 1h, got "soon"'],
    [{ 'keep-alive-timeout': '2h' }, '--keep-alive-timeout: must be a duration from 100ms to 1h, got "2h"'],
    [{ 'max-connections': '0' }, '--max-connections: must be an integer from 1 to 1000000, got "0"'],
    [
      { 'headers-timeout': '40s' },
      '--headers-timeout: must not be longer than --request-timeout (30s): the headers are part of the request',
    ],
  ])('refuse %j naming the option', (values, message) => {
    expect(() => httpLimitsOption(values)).toThrow(message);
  });

  it("check Node's timeouts often enough for the shortest one to matter", () => {
    expect(serverOptions(DEFAULT_HTTP_LIMITS).connectionsCheckingInterval).toBe(1000);
    expect(serverOptions({ ...DEFAULT_HTTP_LIMITS, headersTimeoutMs: 300 }).connectionsCheckingInterval).toBe(
      75,
    );
  });
});
