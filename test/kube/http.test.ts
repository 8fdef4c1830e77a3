import { describe, expect, it } from 'vitest';
import type { KubeConnection } from '../../src/kube/config.ts';
import { KubeConnectionError } from '../../src/kube/errors.ts';
import { agentOptions, answerOf } from '../../src/kube/http.ts';
import { KubeApiError } from '../../src/kube/types.ts';

function connection(fields: Partial<KubeConnection> = {}): KubeConnection {
  return {
    server: new URL('https://kube.example:6443'),
    insecureSkipTlsVerify: false,
    headers: {},
    authorization: () => Promise.resolve(undefined),
    ...fields,
  };
}

describe('agentOptions', () => {
  it('verifies the server with the system CAs when the connection names no TLS material', () => {
    expect(agentOptions(connection(), 30_000)).toEqual({
      connect: { rejectUnauthorized: true },
      allowH2: false,
      keepAliveTimeout: 30_000,
      headersTimeout: 30_000,
      bodyTimeout: 30_000,
    });
  });

  it('passes on the CA, client certificate and server name the connection names', () => {
    const options = agentOptions(
      connection({ ca: 'CA', cert: 'CERT', key: 'KEY', tlsServerName: 'kubernetes.default' }),
      5_000,
    );
    expect(options.connect).toEqual({
      ca: 'CA',
      cert: 'CERT',
      key: 'KEY',
      rejectUnauthorized: true,
      servername: 'kubernetes.default',
    });
    expect(options).toMatchObject({ headersTimeout: 5_000, bodyTimeout: 5_000 });
  });

  it('skips server verification only when the connection says insecure-skip-tls-verify', () => {
    expect(agentOptions(connection({ insecureSkipTlsVerify: true }), 1).connect).toEqual({
      rejectUnauthorized: false,
    });
  });

  it('stays on HTTP/1.1 so that each watch has its own socket', () => {
    expect(agentOptions(connection(), 1).allowH2).toBe(false);
  });
});

describe('answerOf', () => {
  it('parses the JSON of a 2xx answer', () => {
    expect(answerOf(200, '{"a":1}', 'GET /x', false)).toEqual({ a: 1 });
    expect(answerOf(201, '[1]', 'POST /x', false)).toEqual([1]);
  });

  it('answers undefined for an empty 2xx body', () => {
    expect(answerOf(200, '', 'DELETE /x', false)).toBeUndefined();
  });

  it('answers undefined for 404 only when the caller accepts it', () => {
    expect(answerOf(404, '{"kind":"Status","reason":"NotFound"}', 'GET /x', true)).toBeUndefined();
    expect(() => answerOf(404, '', 'GET /x', false)).toThrow(KubeApiError);
  });

  it.each([[199], [300], [409], [410], [500]])(
    'throws a KubeApiError naming the call for HTTP %i',
    (status) => {
      let thrown: unknown;
      try {
        answerOf(status, '{"a":1}', 'GET /x', true);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(KubeApiError);
      expect((thrown as KubeApiError).status).toBe(status);
      expect((thrown as KubeApiError).message).toMatch(/^GET \/x: /);
    },
  );

  it('throws a KubeConnectionError for a 2xx body that is not JSON', () => {
    expect(() => answerOf(200, '<html>', 'GET /x', false)).toThrow(
      new KubeConnectionError('GET /x: the answer is not JSON'),
    );
  });
});
