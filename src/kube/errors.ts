import { KubeApiError, type KubeStatus } from './types.ts';

/** The API server could not be reached or the connection broke (no HTTP answer to report). */
export class KubeConnectionError extends Error {
  readonly code = 'LATCHKEY_KUBE_CONNECTION';
  override readonly name = 'KubeConnectionError';
}

// Reasons of metav1.StatusReason for answers that carry no Status body (e.g. from a proxy in front).
const REASON_BY_STATUS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

const MAX_MESSAGE = 1000;

/**
 * The KubeApiError for a non-2xx answer, from its metav1.Status body when there is one. Only the response is
 * read: request bodies (which may hold a Secret's data) never reach an error.
 */
export function kubeApiErrorFrom(status: number, responseText: string, what: string): KubeApiError {
  const parsed = parseStatus(responseText);
  const reason = parsed?.reason || REASON_BY_STATUS[status] || 'Unknown';
  const detail = parsed?.message || responseText.trim().slice(0, MAX_MESSAGE) || `HTTP ${status}`;
  return new KubeApiError(status, reason, `${what}: ${detail}`);
}

/** A metav1.Status from JSON text, or undefined when the text is not one. */
export function parseStatus(text: string): KubeStatus | undefined {
  try {
    const value = JSON.parse(text) as unknown;
    if (value && typeof value === 'object' && (value as { kind?: unknown }).kind === 'Status') {
      return value as KubeStatus;
    }
  } catch {
    // not JSON: the caller falls back to the raw text
  }
  return undefined;
}
