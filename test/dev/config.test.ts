import { DEFAULT_USER_CODE_LIMITS } from '../../src/people/device/user-code-throttle.ts';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config-error.ts';
import { BUNDLED_EXAMPLES, DEV_USAGE, parseDevArgs } from '../../src/dev/config.ts';
import { STRICT_POLICY } from '../../src/outbound/address-policy.ts';
import { DEFAULT_REPLAY_LIMITS } from '../../src/runtime/replay-admission.ts';
import { DEFAULT_HTTP_LIMITS } from '../../src/server/http-limits.ts';
import { DEFAULT_SIGN_IN_LIMITS } from '../../src/people/throttle.ts';

describe('latchkey dev options', () => {
  it('defaults to the bundled examples, ./.latchkey and port 8080', () => {
    expect(parseDevArgs([], '/work/x')).toEqual({
      manifestsDir: BUNDLED_EXAMPLES,
      stateDir: '/work/x/.latchkey',
      host: '127.0.0.1',
      port: 8080,
      opsPort: 8081,
      logFormat: 'text',
      logLevel: 'info',
      watch: true,
      checkConnections: false,
      httpLimits: DEFAULT_HTTP_LIMITS,
      replayLimits: DEFAULT_REPLAY_LIMITS,
      signInLimits: DEFAULT_SIGN_IN_LIMITS,
      managementRateLimit: 300,
      userCodeLimits: DEFAULT_USER_CODE_LIMITS,
      // Dev mode's issuers may be on this machine; nothing else is widened.
      issuerPolicy: { ...STRICT_POLICY, allowLoopback: true },
    });
    expect(BUNDLED_EXAMPLES).toMatch(/\/examples\/$/);
  });

  it('resolves folders against the working directory and normalises the issuer', () => {
    expect(
      parseDevArgs(
        ['--manifests', 'm', '--state-dir', '/s', '--port', '0', '--issuer', 'https://id.example.com/'],
        '/w',
      ),
    ).toMatchObject({ manifestsDir: '/w/m', stateDir: '/s', port: 0, issuer: 'https://id.example.com' });
  });

  it.each([
    [['--port', 'abc'], '--port: must be an integer from 0 to 65535, got "abc"'],
    [['--port', '70000'], '--port: must be an integer from 0 to 65535, got "70000"'],
    [['--ops-port=-1'], '--ops-port: must be an integer from 0 to 65535, got "-1"'],
    [['--issuer', 'not a url'], /^--issuer: /],
    [['--issuer', 'ftp://x'], /^--issuer: must use https/],
    [['--issuer', 'https://x/?a=1'], '--issuer: must not contain credentials, a query or a fragment'],
    [['--log-format', 'xml'], '--log-format: must be text or json'],
  ])('rejects %j naming the option', (argv, message) => {
    expect(() => parseDevArgs(argv, '/w')).toThrow(message);
  });

  it('takes the per-client replay ceiling a load test needs, above the in-memory capacity', () => {
    expect(parseDevArgs(['--replay-per-client', '1000000'], '/w').replayLimits).toMatchObject({
      perClientCeiling: 1_000_000,
    });
    expect(parseDevArgs(['--replay-per-client', '4000000'], '/w').replayLimits).toMatchObject({
      perClientCeiling: 4_000_000,
    });
  });

  it("refuses --replay-capacity: it bounds the operator's in-memory cache, and dev mode keeps ids on disk", () => {
    expect(() => parseDevArgs(['--replay-capacity', '4000000'], '/w')).toThrow(
      /unknown option --replay-capacity for latchkey dev/,
    );
  });

  it('serves HTTPS with --tls-cert and --tls-key, resolved against the working directory', () => {
    expect(parseDevArgs(['--tls-cert', 'tls/tls.crt', '--tls-key', '/etc/tls.key'], '/w').tls).toEqual({
      certFile: '/w/tls/tls.crt',
      keyFile: '/etc/tls.key',
    });
    expect(
      parseDevArgs(['--tls-cert=c', '--tls-key=k', '--issuer', 'https://127.0.0.1:8443/'], '/w'),
    ).toMatchObject({ issuer: 'https://127.0.0.1:8443', tls: { certFile: '/w/c', keyFile: '/w/k' } });
  });

  it('allows an https issuer without TLS, for a proxy or tunnel that terminates it', () => {
    const c = parseDevArgs(['--issuer', 'https://id.example.com'], '/w');
    expect(c.issuer).toBe('https://id.example.com');
    expect(c.tls).toBeUndefined();
  });

  it.each([
    [['--tls-cert', 'c'], '--tls-cert: needs --tls-key, the private key of the certificate'],
    [['--tls-key', 'k'], '--tls-key: needs --tls-cert, the certificate of the private key'],
    [['--tls-cert=', '--tls-key', 'k'], '--tls-cert: must be a file path, got ""'],
    [
      ['--tls-cert', 'c', '--tls-key', 'k', '--issuer', 'http://127.0.0.1:8080/'],
      '--issuer: http://127.0.0.1:8080 is an http URL, but with --tls-cert and --tls-key the token port speaks only HTTPS: use https://127.0.0.1:8080',
    ],
  ])('rejects the TLS options %j naming the option', (argv, message) => {
    let thrown: unknown;
    try {
      parseDevArgs(argv, '/w');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).message).toBe(message);
  });

  it('contacts Connection issuers only with --check-connections', () => {
    expect(parseDevArgs(['--check-connections'], '/w').checkConnections).toBe(true);
    expect(parseDevArgs(['--no-watch'], '/w').checkConnections).toBe(false);
  });

  it('rejects a value for --check-connections, which is a switch', () => {
    expect(() => parseDevArgs(['--check-connections=false'], '/w')).toThrow(ConfigError);
  });

  it('lists --check-connections in the usage text', () => {
    expect(DEV_USAGE).toMatch(/^ {2}--check-connections {5}fetch each oidc Connection's discovery document/m);
  });

  it('rejects unknown options', () => {
    expect(() => parseDevArgs(['--prot', '1'], '/w')).toThrow(ConfigError);
  });
});

describe('latchkey dev --log-level', () => {
  it('is info by default, and takes debug, info, warn or error', () => {
    expect(parseDevArgs([], '/w').logLevel).toBe('info');
    for (const level of ['debug', 'info', 'warn', 'error']) {
      expect(parseDevArgs(['--log-level', level], '/w').logLevel).toBe(level);
    }
  });

  it('refuses another value, naming the flag and the allowed values', () => {
    expect(() => parseDevArgs(['--log-level', 'verbose'], '/w')).toThrow(
      '--log-level: must be one of debug, info, warn, error, got "verbose"',
    );
  });

  it('is listed in the usage text with its default', () => {
    expect(DEV_USAGE).toMatch(/--log-level LEVEL +debug, info, warn or error: .*\(default: info\)/s);
  });
});
