import type { LatchkeyEvents } from '../events.ts';
import type { RefusedBy } from '../refusal-log.ts';
import { FAILURE_CAUSES, type FailureCauseName } from './failure-causes.ts';

/** The `error` codes the token endpoint answers with: RFC 6749 §5.2, RFC 8707 §2, and its 503 and 500. */
export const TOKEN_ERRORS = [
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'temporarily_unavailable',
  'server_error',
] as const;

/** The `client` label of a refusal that named no client of the store (or none at all). */
export const UNKNOWN_CLIENT = 'unknown';
/** The `client` label once {@link MAX_CLIENT_LABELS} clients have one. */
export const OTHER_CLIENTS = 'other';
/**
 * Distinct client ids a process labels refusals with; later ones share {@link OTHER_CLIENTS}. Only clients in
 * the store get their id, so this caps the series of a store with thousands of clients that all fail.
 */
export const MAX_CLIENT_LABELS = 500;

/** Every `reason` value, `<error>` or `<error>/<cause>`, made once: labelling a refusal allocates no string. */
const REASONS: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map(
  TOKEN_ERRORS.map((error) => [error, new Map(FAILURE_CAUSES.map((cause) => [cause, `${error}/${cause}`]))]),
);

/**
 * The `reason` label of a refused token request: its `error` code, followed by `/<cause>` when the check
 * that refused it named one (failure-causes.ts). Both parts come from closed sets, so the label is bounded;
 * an `error` outside {@link TOKEN_ERRORS} (none is thrown) reads `other`.
 *
 * @example
 * failureReason('invalid_client', 'bad_secret'); // 'invalid_client/bad_secret'
 * failureReason('invalid_scope', undefined); // 'invalid_scope'
 */
export function failureReason(error: string, cause: FailureCauseName | undefined): string {
  const byCause = REASONS.get(error);
  if (byCause === undefined) return 'other';
  if (cause === undefined) return error;
  return byCause.get(cause) ?? error;
}

/**
 * The `client` label of refusals: the id of a client of the store, else {@link UNKNOWN_CLIENT}; past
 * {@link MAX_CLIENT_LABELS} distinct ids, {@link OTHER_CLIENTS}. A caller can send any client_id; an id that
 * no client in effect has always reads `unknown`, so what a caller makes up never becomes a series.
 */
export class ClientLabels {
  readonly #labelled = new Set<string>();
  readonly #max: number;

  constructor(max = MAX_CLIENT_LABELS) {
    this.#max = max;
  }

  /** `clientId` must be one the store has (or had a moment ago); undefined reads {@link UNKNOWN_CLIENT}. */
  of(clientId: string | undefined): string {
    if (clientId === undefined) return UNKNOWN_CLIENT;
    if (this.#labelled.has(clientId)) return clientId;
    if (this.#labelled.size >= this.#max) return OTHER_CLIENTS;
    this.#labelled.add(clientId);
    return clientId;
  }
}

export interface TokenFailureLabels {
  grant_type: string;
  error: string;
  reason: string;
  client: string;
}

/**
 * The labels of `latchkey_token_failures_total` for one `token.failed` event: the client that authenticated,
 * else the one the request named when `inEffect` says the store has it (a wrong secret for a real client).
 */
export function tokenFailureLabels(
  event: LatchkeyEvents['token.failed'] & RefusedBy,
  clients: ClientLabels,
  inEffect: (clientId: string) => boolean,
): TokenFailureLabels {
  const presented = event.presentedClientId;
  const known = event.clientId ?? (presented !== undefined && inEffect(presented) ? presented : undefined);
  return {
    grant_type: event.grantType ?? 'unknown',
    error: event.error,
    reason: failureReason(event.error, event.failure),
    client: clients.of(known),
  };
}
