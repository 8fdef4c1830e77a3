import type { FastifyReply } from 'fastify';
import { errorResponse, InvalidRequest, OAuthError, toOAuthError } from './errors.ts';
import { BODY_LIMIT } from './form.ts';

/** Sends `err` as an RFC 6749 §5.2 body; see {@link errorResponse}. */
export function sendError(reply: FastifyReply, err: unknown): FastifyReply {
  const { status, headers, body } = errorResponse(err);
  return reply.code(status).headers(headers).send(body);
}

const WRONG_CONTENT_TYPE = 'the request body must be application/x-www-form-urlencoded';

/**
 * Turns what fastify or Node throw for a bad request into an OAuth error, so no fastify-shaped body leaves.
 * Errors that are not the client's fault become `server_error`.
 */
export function fromFastifyError(err: unknown): OAuthError {
  if (err instanceof OAuthError) return err;
  const e = err as { code?: unknown; statusCode?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const detail = `${code} ${typeof e?.message === 'string' ? e.message : ''}`.trim();
  switch (code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_TYPE':
    case 'FST_ERR_CTP_EMPTY_TYPE':
      return new InvalidRequest(WRONG_CONTENT_TYPE, { detail, cause: err });
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new InvalidRequest(`the request body is larger than ${BODY_LIMIT} bytes`, {
        status: 413,
        detail,
        cause: err,
      });
    case 'FST_ERR_BAD_URL':
      return new InvalidRequest('the request URL has malformed percent-encoding', { detail, cause: err });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new InvalidRequest('Content-Length does not match the request body', { detail, cause: err });
  }
  if (code.startsWith('FST_ERR_CTP_')) {
    return new InvalidRequest('the request body could not be read', { detail, cause: err });
  }
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    return new InvalidRequest('the request could not be read', { status, detail, cause: err });
  }
  return toOAuthError(err);
}

/** Raw RFC 6749 body for errors Node raises before fastify sees a request (malformed HTTP, huge headers). */
export function clientErrorResponse(err: { code?: string }): string {
  const status =
    err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const { body } = errorResponse(new InvalidRequest('the request is not valid HTTP/1.1'));
  return (
    `HTTP/1.1 ${status} ${status === 431 ? 'Request Header Fields Too Large' : status === 408 ? 'Request Timeout' : 'Bad Request'}\r\n` +
    'Content-Type: application/json; charset=utf-8\r\nCache-Control: no-store\r\nPragma: no-cache\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`
  );
}
