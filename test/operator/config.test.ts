import { describe, expect, it } from 'vitest';
import { parseOperatorArgs } from '../../src/operator/config.ts';

describe('latchkey operator options', () => {
  it('needs an issuer and defaults the rest as a cluster deployment expects', () => {
    const c = parseOperatorArgs(['--issuer', 'http://latchkey.latchkey-system.svc:8080/'], 'latchkey-system');
    expect(c).toMatchObject({
      issuer: 'http://latchkey.latchkey-system.svc:8080',
      namespace: 'latchkey-system',
      host: '0.0.0.0',
      port: 8080,
      opsPort: 8081,
      leaseName: 'latchkey-operator',
      leaseDurationSeconds: 15,
      renewDeadlineSeconds: 10,
      retryPeriodSeconds: 2,
      concurrency: 4,
    });
    expect(c.kubeconfig).toBeUndefined();
    expect(c.namespaces).toBeUndefined();
    expect(c.identity).toMatch(/-[0-9a-f]{8}$/);
  });

  it('takes a kubeconfig, watched namespaces and lease timings', () => {
    expect(
      parseOperatorArgs(
        [
          '--issuer',
          'https://id.example.com',
          '--kubeconfig',
          '/k',
          '--namespaces',
          'a, b',
          '--lease-duration',
          '4s',
          '--renew-deadline',
          '3s',
          '--retry-period',
          '1s',
        ],
        undefined,
      ),
    ).toMatchObject({
      kubeconfig: '/k',
      namespaces: ['a', 'b'],
      namespace: 'latchkey-system',
      leaseDurationSeconds: 4,
    });
  });

  it.each([
    [[], '--issuer: required'],
    [['--issuer', 'ftp://x'], '--issuer: must use https'],
    [['--issuer', 'http://x', '--namespaces', 'Bad_NS'], '--namespaces: "Bad_NS" is not a namespace name'],
    [
      ['--issuer', 'http://x', '--lease-duration', '5s', '--renew-deadline', '10s'],
      '--lease-duration: must be longer than --renew-deadline',
    ],
    [
      ['--issuer', 'http://x', '--retry-period', 'soon'],
      '--retry-period: must be a duration of at least 1s, got "soon"',
    ],
    [
      ['--issuer', 'http://x', '--concurrency', '0'],
      '--concurrency: must be an integer from 1 to 64, got "0"',
    ],
    [['--issuer', 'http://x', '--bogus'], /^options: Unknown option '--bogus'/],
  ])('rejects %j naming the option', (argv, message) => {
    expect(() => parseOperatorArgs(argv, undefined)).toThrow(message);
  });
});
