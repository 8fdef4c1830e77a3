import type { FastifyReply } from 'fastify';
import type { PeopleDeps } from '../deps.ts';
import { sendErrorPage } from '../pages/error-page.ts';
import { textsFor } from '../pages/texts.ts';
import { checkThrottle, type ThrottleCounter } from '../throttle.ts';

/**
 * Answers 429 with `Retry-After` (RFC 6585 §4) and a page saying when to try again, when a counter of this
 * attempt is at its limit, and resolves true; resolves false when the attempt may go on. A boolean, not the
 * reply: a FastifyReply is thenable, so an async function resolving with it resolves with undefined, and the
 * refused attempt would go on to have its password checked.
 */
export async function refuseIfThrottled(
  reply: FastifyReply,
  deps: PeopleDeps,
  counters: readonly ThrottleCounter[],
  connection: string,
): Promise<boolean> {
  const nowMs = deps.now();
  const throttled = await checkThrottle(deps.state, counters, nowMs);
  if (throttled === undefined) return false;
  const retryAfterSeconds = Math.max(1, Math.ceil((throttled.retryAtMs - nowMs) / 1000));
  deps.events.emit('signIn.throttled', { scope: throttled.scope, connection, retryAfterSeconds });
  const texts = textsFor();
  sendErrorPage(reply, {
    status: 429,
    title: texts.tooManyAttempts,
    message: texts.tooManyAttemptsMessage(Math.ceil(retryAfterSeconds / 60)),
    retryAfterSeconds,
    texts,
  });
  return true;
}

/**
 * Answers 429 with `Retry-After` and a page, when the source address already has as many upstream sign-ins
 * pending as it may (src/people/pending.ts, which emits the event).
 */
export function sendTooManyPending(reply: FastifyReply, retryAfterSeconds: number): FastifyReply {
  const texts = textsFor();
  return sendErrorPage(reply, {
    status: 429,
    title: texts.tooManyPending,
    message: texts.tooManyPendingMessage(Math.ceil(retryAfterSeconds / 60)),
    retryAfterSeconds,
    texts,
  });
}
