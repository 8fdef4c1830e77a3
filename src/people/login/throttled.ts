import type { FastifyReply } from 'fastify';
import type { PeopleDeps } from '../deps.ts';
import { sendErrorPage } from '../pages/error-page.ts';
import { textsFor } from '../pages/texts.ts';
import { checkThrottle, type ThrottleCounter } from '../throttle.ts';

/**
 * Answers 429 with `Retry-After` (RFC 6585 §4) and a page saying when to try again, when a counter of this
 * attempt is at its limit; resolves undefined when the attempt may go on.
 */
export async function refuseIfThrottled(
  reply: FastifyReply,
  deps: PeopleDeps,
  counters: readonly ThrottleCounter[],
  connection: string,
): Promise<FastifyReply | undefined> {
  const nowMs = deps.now();
  const throttled = await checkThrottle(deps.state, counters, nowMs);
  if (throttled === undefined) return undefined;
  const retryAfterSeconds = Math.max(1, Math.ceil((throttled.retryAtMs - nowMs) / 1000));
  deps.events.emit('signIn.throttled', { scope: throttled.scope, connection, retryAfterSeconds });
  const texts = textsFor();
  return sendErrorPage(reply, {
    status: 429,
    title: texts.tooManyAttempts,
    message: texts.tooManyAttemptsMessage(Math.ceil(retryAfterSeconds / 60)),
    retryAfterSeconds,
    texts,
  });
}
