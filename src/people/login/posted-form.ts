import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendExpired } from '../authorize/continue.ts';
import { checkCsrf, type FormPurpose } from '../csrf.ts';
import type { PeopleDeps } from '../deps.ts';
import { sendCsrfRefused } from '../pages/error-page.ts';
import { formParam, loadSignIn, type SignInContext } from './context.ts';

/**
 * The pending sign-in a hosted page's form for `purpose` posts to, or the reply already sent instead: 403 when
 * the form has no `request` or its CSRF check fails (csrf.ts), the expired page when the request is gone. Every
 * POST of the login, test-user, consent and organization forms starts here.
 *
 * @example
 * const posted = await postedSignIn(request, reply, deps, 'consent');
 * if ('reply' in posted) return posted.reply;
 */
export async function postedSignIn(
  request: FastifyRequest,
  reply: FastifyReply,
  deps: PeopleDeps,
  purpose: FormPurpose,
): Promise<{ context: SignInContext } | { reply: FastifyReply }> {
  const requestId = formParam(request, 'request');
  if (requestId === undefined || checkCsrf(request, deps, purpose, requestId, formParam(request, 'csrf'))) {
    return { reply: sendCsrfRefused(reply) };
  }
  const context = await loadSignIn(deps, requestId);
  return context === undefined ? { reply: sendExpired(reply) } : { context };
}
