import type { FastifyInstance } from 'fastify';
import { RETRY_AFTER_SECONDS, TemporarilyUnavailable } from './errors.ts';
import { sendError } from './reply.ts';

/** Seconds a client waits before asking again (RFC 9110 §10.2.3); a dev load takes about that. */
export const NOT_READY_RETRY_AFTER_SECONDS = RETRY_AFTER_SECONDS;
export { TemporarilyUnavailable };

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
