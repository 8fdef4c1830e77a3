/**
 * Which failures mean "the database cannot answer now" (→ {@link StateUnavailableError}, the server answers
 * `temporarily_unavailable`) and which are bugs that must surface as they are (a syntax error, a missing
 * table). SQLSTATE classes: https://www.postgresql.org/docs/current/errcodes-appendix.html
 */
import { StateUnavailableError } from '../runtime-state.ts';

/** SQLSTATE classes and codes that mean unavailable. */
const UNAVAILABLE_CLASSES = ['08', '53', '57', '58'];
const UNAVAILABLE_CODES = new Set([
  '40001', // serialization_failure: retry later
  '40P01', // deadlock_detected
  '55P03', // lock_not_available (lock_timeout)
]);
/** Node's socket error codes: the server is not there or went away. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);
/** node-postgres raises these as plain Errors with no code. */
const CLIENT_MESSAGES = [
  /timeout exceeded when trying to connect/i,
  /Connection terminated/i,
  /Query read timeout/i,
  /Client has encountered a connection error/i,
  /Client was closed and is not queryable/i,
  /Cannot use a pool after calling end/i,
  /The server does not support SSL connections/i,
];

/** True when `error` says the database is down, unreachable, overloaded, shutting down or too slow. */
export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  if (code !== undefined) {
    if (SOCKET_CODES.has(code) || UNAVAILABLE_CODES.has(code)) return true;
    if (/^[0-9A-Z]{5}$/.test(code)) return UNAVAILABLE_CLASSES.includes(code.slice(0, 2));
    // TLS failures (an untrusted certificate, a wrong host name) keep the database out of reach until fixed;
    // the message says what to fix.
    if (/^ERR_(TLS|SSL)/.test(code) || /CERT|SIGNATURE/.test(code)) return true;
  }
  if (CLIENT_MESSAGES.some((pattern) => pattern.test(error.message))) return true;
  return error.cause !== undefined && isUnavailable(error.cause);
}

/** Wraps unavailability in {@link StateUnavailableError}; anything else is returned as it is. */
export function toStateError(error: unknown, operation: string): unknown {
  if (error instanceof StateUnavailableError || !isUnavailable(error)) return error;
  const detail = error instanceof Error ? error.message : String(error);
  return new StateUnavailableError(`PostgreSQL runtime state: ${operation} failed: ${detail}`, {
    cause: error,
  });
}
