/**
 * The PostgreSQL connection, given as a libpq-style URL
 * (`postgres://user:password@host:port/database?sslmode=verify-full&sslrootcert=/etc/latchkey/db-ca.crt`),
 * parsed strictly at start-up. Anything it does not understand is a {@link ConfigError}: a parameter libpq knows
 * but Latchkey ignored would be a setting the operator believes in and does not have. Messages name the field
 * and never repeat the password (the URL usually comes from a Secret).
 *
 * TLS follows libpq's `sslmode` (https://www.postgresql.org/docs/current/libpq-ssl.html#LIBPQ-SSL-PROTECTION):
 * `verify-full` checks the chain and the host name, `verify-ca` the chain only, `require` encrypts without
 * verifying (unless `sslrootcert` is given, then it verifies the chain, as libpq does), `disable` is plain TCP.
 * `allow` and `prefer` are refused: they fall back to plain text without saying so. Without `sslmode` the
 * default is `verify-full` (libpq's is `prefer`): a database reached over the network gets TLS it can trust
 * unless the URL says otherwise.
 */
import { ConfigError } from '../../config-error.ts';

export const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
export type SslMode = (typeof SSL_MODES)[number];

export interface PostgresConnection {
  host: string;
  port: number;
  user: string;
  password: string | undefined;
  database: string;
  sslMode: SslMode;
  /** A PEM file with the CA certificates to trust; undefined: the system's CAs (also for `sslrootcert=system`). */
  sslRootCert: string | undefined;
  /** A client certificate and its key (PEM files), both or neither. */
  sslCert: string | undefined;
  sslKey: string | undefined;
  /** From `connect_timeout` (seconds, as libpq); undefined when the URL leaves it to the caller's option. */
  connectTimeoutMs: number | undefined;
  applicationName: string;
}

const PARAMETERS = new Set([
  'sslmode',
  'sslrootcert',
  'sslcert',
  'sslkey',
  'connect_timeout',
  'application_name',
]);

/** Parameters libpq knows that Latchkey refuses, with the reason. */
const REFUSED: Record<string, string> = {
  host: 'give the host in the URL authority (postgres://user@host:port/db); Unix sockets are not supported',
  hostaddr: 'give the host in the URL authority',
  port: 'give the port in the URL authority',
  user: 'give the user in the URL authority',
  password: 'give the password in the URL authority (and the URL in a Secret)',
  dbname: 'give the database as the URL path',
  target_session_attrs: 'one host is supported',
  options: 'Latchkey sets the session settings it needs (statement_timeout) itself',
  sslpassword: 'use an unencrypted key file in a Secret',
  sslcrl: 'certificate revocation lists are not supported',
};

/** Parses `url` for the setting named `field` (e.g. `state.postgres.url`); throws {@link ConfigError}. */
export function parsePostgresUrl(url: string, field: string): PostgresConnection {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The URL is not repeated: it may hold the password.
    throw new ConfigError(
      field,
      'is not a URL; expected postgres://user:password@host:port/database?sslmode=...',
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ConfigError(field, `must start with postgres:// or postgresql://, not ${parsed.protocol}//`);
  }
  if (parsed.hash) throw new ConfigError(field, 'must not have a #fragment');
  const host = parseHost(parsed, field);
  const params = parseParameters(parsed.searchParams, field);
  const user = decode(parsed.username, `${field} (user)`);
  if (!user) throw new ConfigError(field, 'names no user; expected postgres://user:password@host/database');
  const database = parseDatabase(parsed.pathname, field);
  return {
    host,
    port: parsePort(parsed.port, field),
    user,
    password: parsed.password ? decode(parsed.password, `${field} (password)`) : undefined,
    database: database ?? user,
    ...params,
  };
}

function decode(text: string, field: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new ConfigError(field, 'has a malformed %-escape');
  }
}

function parseHost(parsed: URL, field: string): string {
  const host = parsed.hostname.startsWith('[') ? parsed.hostname.slice(1, -1) : parsed.hostname;
  if (!host) throw new ConfigError(field, 'names no host');
  if (host.includes(',')) throw new ConfigError(field, 'names several hosts; one host is supported');
  return host;
}

function parsePort(port: string, field: string): number {
  if (port === '') return 5432;
  const n = Number(port);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(field, `port ${port} is not 1-65535`);
  return n;
}

function parseDatabase(pathname: string, field: string): string | undefined {
  const name = decode(pathname.replace(/^\//, ''), `${field} (database)`);
  if (name.includes('/')) throw new ConfigError(field, 'the database name must not contain /');
  return name || undefined;
}

type Parameters = Pick<
  PostgresConnection,
  'sslMode' | 'sslRootCert' | 'sslCert' | 'sslKey' | 'connectTimeoutMs' | 'applicationName'
>;

function parseParameters(search: URLSearchParams, field: string): Parameters {
  const seen = new Set<string>();
  for (const name of search.keys()) {
    const at = `${field} (?${name}=)`;
    if (name in REFUSED) throw new ConfigError(at, `is not supported: ${REFUSED[name]}`);
    if (!PARAMETERS.has(name)) {
      throw new ConfigError(at, `is not a parameter Latchkey knows; known: ${[...PARAMETERS].join(', ')}`);
    }
    if (seen.has(name)) throw new ConfigError(at, 'is given more than once');
    seen.add(name);
  }
  const sslMode = parseSslMode(search.get('sslmode'), field);
  const sslRootCert = nonEmpty(search.get('sslrootcert'), `${field} (?sslrootcert=)`);
  const sslCert = nonEmpty(search.get('sslcert'), `${field} (?sslcert=)`);
  const sslKey = nonEmpty(search.get('sslkey'), `${field} (?sslkey=)`);
  if ((sslCert === undefined) !== (sslKey === undefined)) {
    throw new ConfigError(field, 'sslcert and sslkey go together: give both or neither');
  }
  if (sslMode === 'disable' && (sslRootCert || sslCert)) {
    throw new ConfigError(
      field,
      'sslmode=disable contradicts sslrootcert/sslcert: drop them or choose a TLS mode',
    );
  }
  return {
    sslMode,
    sslRootCert: sslRootCert === 'system' ? undefined : sslRootCert,
    sslCert,
    sslKey,
    connectTimeoutMs: parseConnectTimeout(search.get('connect_timeout'), field),
    applicationName: search.get('application_name') ?? 'latchkey',
  };
}

function parseSslMode(value: string | null, field: string): SslMode {
  if (value === null) return 'verify-full';
  if ((SSL_MODES as readonly string[]).includes(value)) return value as SslMode;
  const why =
    value === 'allow' || value === 'prefer' ? ' (it falls back to plain text without saying so)' : '';
  throw new ConfigError(
    `${field} (?sslmode=)`,
    `${JSON.stringify(value)} is refused${why}; use ${SSL_MODES.join(', ')}`,
  );
}

function nonEmpty(value: string | null, field: string): string | undefined {
  if (value === null) return undefined;
  if (value === '') throw new ConfigError(field, 'is empty');
  return value;
}

function parseConnectTimeout(value: string | null, field: string): number | undefined {
  if (value === null) return undefined;
  const seconds = Number(value);
  // libpq: seconds, an integer; 0 means wait forever, which Latchkey never does.
  if (!/^[0-9]+$/.test(value) || seconds < 1 || seconds > 3600) {
    throw new ConfigError(`${field} (?connect_timeout=)`, `${JSON.stringify(value)} is not 1-3600 seconds`);
  }
  return seconds * 1000;
}

/** The URL with the password replaced, for logs. */
export function redactPostgresUrl(connection: PostgresConnection): string {
  const auth = `${encodeURIComponent(connection.user)}${connection.password === undefined ? '' : ':***'}`;
  const host = connection.host.includes(':') ? `[${connection.host}]` : connection.host;
  return `postgres://${auth}@${host}:${connection.port}/${encodeURIComponent(connection.database)}?sslmode=${connection.sslMode}`;
}
