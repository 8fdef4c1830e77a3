import type { FastifyReply, FastifyRequest } from 'fastify';
import { RETRY_AFTER_SECONDS } from '../../server/errors.ts';
import { fromFastifyError } from '../../server/reply.ts';
import { sendErrorPage } from '../pages/error-page.ts';
import { textsFor } from '../pages/texts.ts';

/**
 * The error handler of the browser-facing endpoints (authorization, logout): what cannot be answered with a
 * redirect (an unreadable body, a wrong method, the runtime state down) is a page, never a JSON body or
 * internals. A 503 keeps its `Retry-After`, so a person (or a browser test) knows to try again.
 */
export function sendFailurePage(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const e = fromFastifyError(err);
  if (e.status >= 500 && e.status !== 503) request.log.error({ err }, 'unexpected error');
  const texts = textsFor();
  if (e.status === 503) {
    return sendErrorPage(reply, {
      status: 503,
      title: texts.errorUnavailable,
      message: texts.errorUnavailableMessage,
      retryAfterSeconds: RETRY_AFTER_SECONDS,
      texts,
    });
  }
  const status = e.status >= 500 ? 500 : e.status;
  const message = status >= 500 ? texts.errorGeneric : texts.errorBadRequest;
  if (e.headers?.allow !== undefined) void reply.header('allow', e.headers.allow);
  return sendErrorPage(reply, { status, title: texts.errorTitle, message, texts });
}
