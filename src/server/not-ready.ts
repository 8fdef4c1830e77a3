import type { FastifyInstance } from 'fastify';
import { OAuthError } from './errors.ts';
import { sendError } from './reply.ts';

/** Seconds a client waits before asking again (RFC 9110 §10.2.3); a dev load takes about that. */
export const NOT_READY_RETRY_AFTER_SECONDS = 1;

/**
 * `temporarily_unavailable` (RFC 6749 §4.1.2.1, the one code for a server that cannot answer yet): 503 with
 * `Retry-After`, in the usual JSON body.
 */
export class TemporarilyUnavailable extends OAuthError {
  readonly error = 'temporarily_unavailable';
  override readonly name = 'TemporarilyUnavailable';

  constructor(description: string) {
    super(503, description, { headers: { 'retry-after': String(NOT_READY_RETRY_AFTER_SECONDS) } });
  }
}

const LOADING = new TemporarilyUnavailable('Latchkey is loading its manifests; try again shortly');

/**
 * Answers every request of `app` with {@link TemporarilyUnavailable} until `serving()` first says yes; from
 * then on the gate stays open (a reload serves the last good snapshot meanwhile).
 */
export function gateUntilServing(app: FastifyInstance, serving: () => boolean): void {
  let open = false;
  app.addHook('onRequest', (_request, reply, done) => {
    if (open || (open = serving())) {
      done();
      return;
    }
    sendError(reply, LOADING);
  });
}
