import type { FastifyReply, FastifyRequest } from 'fastify';
import { readBrowser } from '../csrf.ts';
import type { PeopleDeps } from '../deps.ts';
import { textsFor } from '../pages/texts.ts';
import { clearFailures, DEFAULT_SIGN_IN_LIMITS, recordFailure, throttleCounters } from '../throttle.ts';
import { verifyTestUser } from '../upstream/test-users.ts';
import { connectionKey, formParam, offeredConnections } from './context.ts';
import { postedSignIn } from './posted-form.ts';
import { finishSignIn } from './finish.ts';
import { sendTestUserForm, sendUnknownConnection } from './login-page.ts';
import { refuseIfThrottled } from './throttled.ts';

/** Longest name or password read: far above any real one, and bounds the work a hostile form can ask for. */
const MAX_FIELD_LENGTH = 1024;

/**
 * `POST <login>/password`: a `test` Connection's form (`latchkey dev` only). Throttled per person and per
 * address before the password is looked at; a failure counts against both and shows the form again.
 */
export async function testUserSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
): Promise<FastifyReply> {
  const texts = textsFor();
  const posted = await postedSignIn(request, reply, deps, 'test_user');
  if ('reply' in posted) return posted.reply;
  const { context } = posted;
  const browser = readBrowser(request, deps) as string;
  const key = formParam(request, 'connection');
  const connection = offeredConnections(context).find((c) => connectionKey(c) === key && c.type === 'test');
  if (connection === undefined) return sendUnknownConnection(reply, texts);
  const username = (formParam(request, 'username') ?? '').slice(0, MAX_FIELD_LENGTH);
  const password = (formParam(request, 'password') ?? '').slice(0, MAX_FIELD_LENGTH);
  const nowMs = deps.now();
  const limits = deps.signInLimits ?? DEFAULT_SIGN_IN_LIMITS;
  const counters = throttleCounters(limits, request.ip, {
    connection: connectionKey(connection),
    name: username,
  });
  if (await refuseIfThrottled(reply, deps, counters, connectionKey(connection))) return reply;
  const identity = verifyTestUser(connection, username, password);
  if (identity === undefined) {
    await recordFailure(deps.state, counters, nowMs);
    deps.events.emit('signIn.failed', {
      reason: 'wrong_password',
      connection: connectionKey(connection),
      clientId: context.client.clientId,
    });
    return sendTestUserForm(reply, deps, context, connection, {
      browser,
      username,
      error: texts.wrongPassword,
      status: 400,
    });
  }
  await clearFailures(deps.state, counters, nowMs);
  return finishSignIn(request, reply, deps, { context, connection, identity, browser });
}
