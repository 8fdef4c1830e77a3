/**
 * The PostgreSQL connection URL, parsed strictly at start-up (connection-url.ts), its TLS options (libpq's
 * sslmode semantics, pool-config.ts), and which errors mean "unavailable" (errors.ts). No database needed.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config-error.ts';
import { parsePostgresUrl, redactPostgresUrl } from '../../src/state/postgres/connection-url.ts';
import { isUnavailable, toStateError } from '../../src/state/postgres/errors.ts';
import { DEFAULT_TIMEOUTS, poolConfig, tlsOptions } from '../../src/state/postgres/pool-config.ts';
import { StateUnavailableError } from '../../src/state/runtime-state.ts';

const FIELD = 'state.postgres.url';
const PASSWORD = 's3cr3t-P@ss';
const ENC = encodeURIComponent(PASSWORD);

describe('parsePostgresUrl', () => {
  it.each([
    [
      `postgres://latchkey:${ENC}@db.example:6432/state?sslmode=verify-full&sslrootcert=/ca.pem`,
      {
        host: 'db.example',
        port: 6432,
        user: 'latchkey',
        password: PASSWORD,
        database: 'state',
        sslMode: 'verify-full',
        sslRootCert: '/ca.pem',
      },
    ],
    [
      'postgresql://u@db/d',
      { port: 5432, password: undefined, sslMode: 'verify-full', sslRootCert: undefined },
    ],
    ['postgres://u@db', { database: 'u' }],
    ['postgres://u@[::1]:5433/d?sslmode=disable', { host: '::1', port: 5433, sslMode: 'disable' }],
    ['postgres://u@db/d?sslmode=require', { sslMode: 'require' }],
    [
      'postgres://u@db/d?sslmode=verify-ca&sslrootcert=system',
      { sslMode: 'verify-ca', sslRootCert: undefined },
    ],
    ['postgres://u@db/d?connect_timeout=3', { connectTimeoutMs: 3000 }],
    ['postgres://u@db/d?application_name=replica-a', { applicationName: 'replica-a' }],
    ['postgres://u@db/d', { applicationName: 'latchkey', connectTimeoutMs: undefined }],
    ['postgres://u@db/d?sslcert=/c.pem&sslkey=/k.pem', { sslCert: '/c.pem', sslKey: '/k.pem' }],
    ['postgres://us%40er:p%3Aw@db/my%20db', { user: 'us@er', password: 'p:w', database: 'my db' }],
  ])('%s', (url, expected) => {
    expect(parsePostgresUrl(url, FIELD)).toMatchObject(expected);
  });

  it.each([
    ['not a url', FIELD, /is not a URL/],
    [`mysql://u:${ENC}@db/d`, FIELD, /must start with postgres:\/\//],
    [`postgres://:${ENC}@db/d`, FIELD, /names no user/],
    [`postgres://u:${ENC}@/d`, FIELD, /names no host|is not a URL/],
    [`postgres://u:${ENC}@a,b/d`, FIELD, /several hosts|is not a URL/],
    [`postgres://u:${ENC}@db:0/d`, FIELD, /port 0 is not 1-65535/],
    [`postgres://u:${ENC}@db/d#frag`, FIELD, /fragment/],
    [`postgres://u:${ENC}@db/a/b`, FIELD, /must not contain \//],
    [
      `postgres://u:${ENC}@db/d?sslmode=prefer`,
      `${FIELD} (?sslmode=)`,
      /"prefer" is refused \(it falls back to plain text/,
    ],
    [`postgres://u:${ENC}@db/d?sslmode=allow`, `${FIELD} (?sslmode=)`, /plain text/],
    [
      `postgres://u:${ENC}@db/d?sslmode=VERIFY-FULL`,
      `${FIELD} (?sslmode=)`,
      /use disable, require, verify-ca, verify-full/,
    ],
    [`postgres://u:${ENC}@db/d?sslmode=disable&sslrootcert=/ca`, FIELD, /contradicts/],
    [`postgres://u:${ENC}@db/d?sslcert=/c.pem`, FIELD, /give both or neither/],
    [`postgres://u:${ENC}@db/d?sslrootcert=`, `${FIELD} (?sslrootcert=)`, /is empty/],
    [`postgres://u:${ENC}@db/d?connect_timeout=0`, `${FIELD} (?connect_timeout=)`, /not 1-3600 seconds/],
    [`postgres://u:${ENC}@db/d?connect_timeout=2.5`, `${FIELD} (?connect_timeout=)`, /not 1-3600 seconds/],
    [`postgres://u:${ENC}@db/d?sslmode=require&sslmode=disable`, `${FIELD} (?sslmode=)`, /more than once/],
    [`postgres://u:${ENC}@db/d?password=${ENC}`, `${FIELD} (?password=)`, /not supported/],
    [`postgres://u:${ENC}@db/d?host=/var/run/postgresql`, `${FIELD} (?host=)`, /Unix sockets/],
    [`postgres://u:${ENC}@db/d?options=-c%20x%3D1`, `${FIELD} (?options=)`, /not supported/],
    [`postgres://u:${ENC}@db/d?sslmod=require`, `${FIELD} (?sslmod=)`, /not a parameter Latchkey knows/],
    [`postgres://u:${ENC}@db/%E0%A4%A`, `${FIELD} (database)`, /malformed %-escape/],
  ])('refuses %s, naming %s and never the password', (url, field, message) => {
    let caught: unknown;
    try {
      parsePostgresUrl(url, FIELD);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const error = caught as ConfigError;
    expect(error.field).toBe(field);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(PASSWORD);
    expect(error.message).not.toContain(ENC);
  });

  it('redacts the password for logs', () => {
    const connection = parsePostgresUrl(`postgres://u:${ENC}@db:5432/d?sslmode=require`, FIELD);
    expect(redactPostgresUrl(connection)).toBe('postgres://u:***@db:5432/d?sslmode=require');
  });
});

describe('TLS options follow libpq sslmode', () => {
  const pems: Record<string, string> = { '/ca.pem': 'CA', '/c.pem': 'CERT', '/k.pem': 'KEY' };
  const readPem = (path: string) => {
    if (path in pems) return pems[path]!;
    throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
  };
  const tls = (query: string) =>
    tlsOptions(parsePostgresUrl(`postgres://u@db/d?${query}`, FIELD), readPem, FIELD);

  it.each([
    ['sslmode=disable', false],
    ['sslmode=require', { rejectUnauthorized: false }],
    ['sslmode=require&sslrootcert=/ca.pem', { rejectUnauthorized: true, ca: 'CA', checksHost: false }],
    ['sslmode=verify-ca&sslrootcert=/ca.pem', { rejectUnauthorized: true, ca: 'CA', checksHost: false }],
    ['sslmode=verify-full&sslrootcert=/ca.pem', { rejectUnauthorized: true, ca: 'CA', checksHost: true }],
    ['', { rejectUnauthorized: true, checksHost: true }],
    ['sslcert=/c.pem&sslkey=/k.pem', { cert: 'CERT', key: 'KEY', checksHost: true }],
  ])('%s', (query, expected) => {
    const options = tls(query);
    if (expected === false) return expect(options).toBe(false);
    if (options === false) throw new Error('expected TLS options');
    const { checksHost, ...rest } = expected as Record<string, unknown>;
    expect(options).toMatchObject(rest);
    if (checksHost !== undefined) expect(options.checkServerIdentity === undefined).toBe(checksHost);
  });

  it('fails at start-up with a ConfigError when a PEM file cannot be read', () => {
    expect(() => tls('sslrootcert=/missing.pem')).toThrow(
      new ConfigError(`${FIELD} (?sslrootcert=)`, 'cannot read /missing.pem (ENOENT)'),
    );
  });

  it('bounds every wait in the pool options', () => {
    const config = poolConfig(
      parsePostgresUrl('postgres://u@db/d?sslmode=disable&connect_timeout=3', FIELD),
      DEFAULT_TIMEOUTS,
      7,
      readPem,
      FIELD,
    );
    expect(config).toMatchObject({
      max: 7,
      connectionTimeoutMillis: 3000,
      statement_timeout: DEFAULT_TIMEOUTS.statementTimeoutMs,
      query_timeout: DEFAULT_TIMEOUTS.statementTimeoutMs + 500,
      ssl: false,
    });
  });
});

describe('isUnavailable', () => {
  const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });
  it.each([
    [coded('ECONNREFUSED'), true],
    [coded('ECONNRESET'), true],
    [coded('57P01', 'terminating connection due to administrator command'), true],
    [coded('57014', 'canceling statement due to statement timeout'), true],
    [coded('08006'), true],
    [coded('53300', 'too many connections'), true],
    [coded('40001'), true],
    [coded('DEPTH_ZERO_SELF_SIGNED_CERT'), true],
    [coded('ERR_TLS_CERT_ALTNAME_INVALID'), true],
    [coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), true],
    [new Error('timeout exceeded when trying to connect'), true],
    [new Error('Connection terminated unexpectedly'), true],
    [new Error('Query read timeout'), true],
    [new Error('outer', { cause: coded('ECONNREFUSED') }), true],
    [coded('42P01', 'relation does not exist'), false],
    [coded('42601', 'syntax error'), false],
    [coded('23505', 'duplicate key'), false],
    [new TypeError('x is not a function'), false],
    ['a string', false],
    [undefined, false],
  ])('%s → %s', (error, expected) => {
    expect(isUnavailable(error)).toBe(expected);
  });

  it('wraps unavailability with its cause and leaves bugs as they are', () => {
    const down = coded('ECONNREFUSED');
    const wrapped = toStateError(down, 'get');
    expect(wrapped).toBeInstanceOf(StateUnavailableError);
    expect((wrapped as Error).cause).toBe(down);
    const bug = coded('42601');
    expect(toStateError(bug, 'get')).toBe(bug);
  });
});
