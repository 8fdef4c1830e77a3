/**
 * Turns the parsed connection and the time bounds into node-postgres pool options. Every wait has a bound: the
 * TCP + TLS + authentication handshake and the wait for a free pooled connection (`connectionTimeoutMillis`,
 * pg-pool applies it to both), each statement on the server (`statement_timeout`, which cancels it and keeps
 * the connection) and on the client (`query_timeout`, for a server that stopped answering at all: the
 * connection is then thrown away, see postgres-state.ts).
 */
import type { ConnectionOptions } from 'node:tls';
import type { PoolConfig } from 'pg';
import { ConfigError } from '../../config-error.ts';
import type { PostgresConnection } from './connection-url.ts';

export interface PostgresTimeouts {
  /** Connecting (TCP, TLS, authentication), and waiting for a free pooled connection. */
  connectTimeoutMs: number;
  /** One statement on the server; the client waits this plus {@link CLIENT_GRACE_MS} before it gives up. */
  statementTimeoutMs: number;
  /** An idle pooled connection is closed after this. */
  idleTimeoutMs: number;
}

export const DEFAULT_TIMEOUTS: PostgresTimeouts = {
  connectTimeoutMs: 5_000,
  statementTimeoutMs: 2_000,
  idleTimeoutMs: 30_000,
};

/** How much longer the client waits than the server's statement_timeout, so the server's cancel comes first. */
export const CLIENT_GRACE_MS = 500;

/**
 * The planner settings of every session (the startup packet's `options`, like `statement_timeout`). Every
 * statement of this backend is written for an index (statements.ts; postgres-plans.test.ts checks each plan),
 * and the table grows from nothing to millions of rows.
 * - Scans of the whole table and hash and merge joins priced out: node-postgres prepares each statement once per
 *   connection and PostgreSQL may then keep one generic plan for it; planned while the table was a page or two,
 *   that plan is a sequential scan or a hash join over one, and it stays cached as the table grows until an
 *   ANALYZE invalidates it (bench:peers ran the people cases at half speed for their first minute). Nothing
 *   here needs them.
 * - Generic plans always: PostgreSQL keeps planning a statement for each execution while that plan looks
 *   cheaper than a generic one, which the batched statements' arrays always do (the custom plan knows their
 *   length). With the settings above the generic plan is the index plan, so planning once per connection is
 *   enough; planning was about half of PostgreSQL's CPU in the people cases of bench:peers.
 */
export const PLANNER_OPTIONS =
  '-c enable_seqscan=off -c enable_hashjoin=off -c enable_mergejoin=off -c plan_cache_mode=force_generic_plan';

/** Reads a PEM file at start-up; injected so the decision is testable without files. */
export type ReadPem = (path: string) => string;

export function poolConfig(
  connection: PostgresConnection,
  timeouts: PostgresTimeouts,
  maxConnections: number,
  readPem: ReadPem,
  field: string,
): PoolConfig {
  return {
    host: connection.host,
    port: connection.port,
    user: connection.user,
    password: connection.password,
    database: connection.database,
    application_name: connection.applicationName,
    ssl: tlsOptions(connection, readPem, field),
    max: maxConnections,
    connectionTimeoutMillis: connection.connectTimeoutMs ?? timeouts.connectTimeoutMs,
    idleTimeoutMillis: timeouts.idleTimeoutMs,
    statement_timeout: timeouts.statementTimeoutMs,
    // A transaction left open by a bug must not hold locks (and the owner-limit advisory lock) for long.
    idle_in_transaction_session_timeout: timeouts.statementTimeoutMs * 2,
    query_timeout: timeouts.statementTimeoutMs + CLIENT_GRACE_MS,
    options: PLANNER_OPTIONS,
    keepAlive: true,
    // An idle connection that errors (the server restarted) is dropped by the pool, not reported per request.
    allowExitOnIdle: true,
  };
}

/** node:tls options for the sslmode (libpq semantics, see connection-url.ts), or false for plain TCP. */
export function tlsOptions(
  connection: PostgresConnection,
  readPem: ReadPem,
  field: string,
): ConnectionOptions | false {
  if (connection.sslMode === 'disable') return false;
  const read = (path: string, what: string): string => {
    try {
      return readPem(path);
    } catch (error) {
      const reason = error instanceof Error && 'code' in error ? String(error.code) : 'unreadable';
      throw new ConfigError(`${field} (?${what}=)`, `cannot read ${path} (${reason})`);
    }
  };
  // node-postgres sets `servername` (SNI and the host-name check) from the host, except for an IP address.
  const options: ConnectionOptions = {};
  if (connection.sslRootCert !== undefined) options.ca = read(connection.sslRootCert, 'sslrootcert');
  if (connection.sslCert !== undefined && connection.sslKey !== undefined) {
    options.cert = read(connection.sslCert, 'sslcert');
    options.key = read(connection.sslKey, 'sslkey');
  }
  const verifyChain = connection.sslMode !== 'require' || connection.sslRootCert !== undefined;
  options.rejectUnauthorized = verifyChain;
  // verify-ca (and require with a root certificate) trusts the chain and does not check the host name.
  if (verifyChain && connection.sslMode !== 'verify-full') options.checkServerIdentity = () => undefined;
  return options;
}
