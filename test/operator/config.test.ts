import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config-error.ts';
import { OPERATOR_USAGE, parseOperatorArgs } from '../../src/operator/config.ts';
import { STRICT_POLICY } from '../../src/outbound/address-policy.ts';

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

  it('sizes the client assertion replay cache with --replay-capacity (--state memory) and --replay-per-client', () => {
    const issuer = ['--issuer', 'http://latchkey.latchkey-system.svc:8080'];
    expect(parseOperatorArgs(issuer, undefined).replayLimits).toEqual({
      capacity: 1_000_000,
      perClientCeiling: 250_000,
    });
    const c = parseOperatorArgs(
      [...issuer, '--state', 'memory', '--replay-capacity', '4000000', '--replay-per-client', '1000000'],
      undefined,
    );
    expect(c.replayLimits).toEqual({ capacity: 4_000_000, perClientCeiling: 1_000_000 });
    expect(() => parseOperatorArgs([...issuer, '--replay-per-client', '2000000'], undefined)).toThrow(
      '--replay-per-client: must not be more than --replay-capacity (1000000)',
    );
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

  it('serves HTTPS with --tls-cert and --tls-key, and plain HTTP without them', () => {
    expect(
      parseOperatorArgs(
        [
          '--issuer',
          'https://latchkey.latchkey-system.svc:8443',
          '--tls-cert',
          '/etc/latchkey/tls/tls.crt',
          '--tls-key',
          '/etc/latchkey/tls/tls.key',
        ],
        undefined,
      ).tls,
    ).toEqual({ certFile: '/etc/latchkey/tls/tls.crt', keyFile: '/etc/latchkey/tls/tls.key' });
    expect(parseOperatorArgs(['--issuer', 'http://latchkey.latchkey-system.svc:8080'], undefined).tls).toBe(
      undefined,
    );
  });

  it('allows an https issuer without TLS, for an Ingress or load balancer that terminates it', () => {
    const c = parseOperatorArgs(['--issuer', 'https://auth.example.com'], undefined);
    expect(c.issuer).toBe('https://auth.example.com');
    expect(c.tls).toBeUndefined();
  });

  it.each([
    [
      ['--issuer', 'https://x', '--tls-cert', '/c'],
      '--tls-cert: needs --tls-key, the private key of the certificate',
    ],
    [
      ['--issuer', 'https://x', '--tls-key', '/k'],
      '--tls-key: needs --tls-cert, the certificate of the private key',
    ],
    [['--issuer', 'https://x', '--tls-cert', '/c', '--tls-key='], '--tls-key: must be a file path, got ""'],
    [
      ['--issuer', 'http://latchkey.latchkey-system.svc:8080', '--tls-cert', '/c', '--tls-key', '/k'],
      '--issuer: http://latchkey.latchkey-system.svc:8080 is an http URL, but with --tls-cert and --tls-key the token port speaks only HTTPS: use https://latchkey.latchkey-system.svc:8080',
    ],
  ])('rejects the TLS options %j naming the option', (argv, message) => {
    let thrown: unknown;
    try {
      parseOperatorArgs(argv, undefined);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).message).toBe(message);
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
    [
      ['--issuer', 'http://x', '--bogus'],
      /^unknown option --bogus for latchkey operator; run 'latchkey operator --help'/,
    ],
  ])('rejects %j naming the option', (argv, message) => {
    expect(() => parseOperatorArgs(argv, undefined)).toThrow(message);
  });

  it('rotates signing keys every 30 days, publishing each a day ahead, unless told otherwise', () => {
    const H = 3_600_000;
    expect(parseOperatorArgs(['--issuer', 'http://x'], undefined).keyRotation).toEqual({
      intervalMs: 720 * H,
      prePublishMs: 24 * H,
      clockSkewMs: 300_000,
    });
    expect(
      parseOperatorArgs(
        [
          '--issuer',
          'http://x',
          '--signing-key-rotation',
          '168h',
          '--signing-key-prepublish',
          '2h',
          '--signing-key-clock-skew',
          '30s',
        ],
        undefined,
      ).keyRotation,
    ).toEqual({ intervalMs: 168 * H, prePublishMs: 2 * H, clockSkewMs: 30_000 });
  });

  it.each([
    [
      ['--signing-key-prepublish', '720h'],
      '--signing-key-prepublish: must be shorter than --signing-key-rotation',
    ],
    [
      ['--signing-key-rotation', '30d'],
      '--signing-key-rotation: must be a duration of at least 1s, got "30d"',
    ],
    [
      ['--signing-key-clock-skew', '0s'],
      '--signing-key-clock-skew: must be a duration of at least 1s, got "0s"',
    ],
  ])('refuses %j', (args, message) => {
    expect(() => parseOperatorArgs(['--issuer', 'http://x', ...args], undefined)).toThrow(message);
  });
});

describe('POD_UID', () => {
  const issuer = ['--issuer', 'http://latchkey.latchkey-system.svc:8080'];
  const uid = '0b9c2a4e-6f1d-4c3b-9a8e-2d7f5e1c3b6a';

  // kubectl describe pod lists the Events whose regarding.uid is the Pod's: without it they show in
  // `kubectl get events` only.
  it('is the uid of the Pod that Events about this replica name', () => {
    expect(parseOperatorArgs(issuer, undefined, { POD_UID: uid }).podUid).toBe(uid);
    expect(parseOperatorArgs(issuer, undefined, { POD_UID: uid.toUpperCase() }).podUid).toBe(
      uid.toUpperCase(),
    );
  });

  it('is absent outside the chart, or when empty', () => {
    expect(parseOperatorArgs(issuer, undefined).podUid).toBeUndefined();
    expect(parseOperatorArgs(issuer, undefined, { POD_UID: '' }).podUid).toBeUndefined();
  });

  it.each(['pod', `${uid} `, '__proto__', `${uid}-${uid}`, `${uid}\n`])('refuses %j, naming it', (value) => {
    expect(() => parseOperatorArgs(issuer, undefined, { POD_UID: value })).toThrow(
      new ConfigError('POD_UID', "must be the Pod's metadata.uid (a UUID), from the downward API"),
    );
  });
});

describe('--allow-issuer-hosts and --deny-issuer-networks', () => {
  it('default to https only, with no local, link-local or metadata address', () => {
    expect(parseOperatorArgs(['--issuer', 'http://x'], undefined).issuerPolicy).toEqual(STRICT_POLICY);
  });

  it('read host names, networks and denied networks', () => {
    const policy = parseOperatorArgs(
      [
        '--issuer',
        'http://x',
        '--allow-issuer-hosts',
        'dex.dex.svc,127.0.0.1',
        '--deny-issuer-networks',
        '10.0.0.0/8',
      ],
      undefined,
    ).issuerPolicy;
    expect(policy?.allowHosts).toEqual(['dex.dex.svc']);
    expect(policy?.allowNetworks.map((n) => n.text)).toEqual(['127.0.0.1']);
    expect(policy?.denyNetworks.map((n) => n.text)).toEqual(['10.0.0.0/8']);
    expect(policy?.allowLoopback).toBe(false);
  });
});

describe('latchkey operator --log-level', () => {
  const issuer = ['--issuer', 'http://x'];

  it('is info by default, and takes debug, info, warn or error', () => {
    expect(parseOperatorArgs(issuer, undefined).logLevel).toBe('info');
    for (const level of ['debug', 'info', 'warn', 'error']) {
      expect(parseOperatorArgs([...issuer, `--log-level=${level}`], undefined).logLevel).toBe(level);
    }
  });

  it('refuses another value, naming the flag and the allowed values', () => {
    expect(() => parseOperatorArgs([...issuer, '--log-level', 'trace'], undefined)).toThrow(
      '--log-level: must be one of debug, info, warn, error, got "trace"',
    );
  });

  it('is listed in the usage text with its default', () => {
    expect(OPERATOR_USAGE).toMatch(/--log-level LEVEL +debug, info, warn or error: .*\(default: info\)/s);
  });
});
