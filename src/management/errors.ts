/**
 * The management API's one error shape (issue 14): Auth0's `{statusCode, error, message, errorCode}`, with a
 * stable `errorCode` to match on and a `message` a person can act on. Never a secret, never an object the
 * caller may not see.
 */
export class ManagementError extends Error {
  readonly status: number;
  /** Stable, snake_case: `invalid_query`, `invalid_token`, `insufficient_scope`, `not_found`. */
  readonly code: string;
  /** `WWW-Authenticate` for 401 and 403 (RFC 6750 §3). */
  readonly authenticate: string | undefined;
  /** Other response headers (`retry-after` of a 429). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    code: string,
    message: string,
    authenticate?: string,
    headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.authenticate = authenticate;
    this.headers = headers;
  }
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface ManagementErrorBody {
  statusCode: number;
  error: string;
  message: string;
  errorCode: string;
}

/** The body and headers of an error response. */
export function managementErrorResponse(e: ManagementError): {
  status: number;
  headers: Record<string, string>;
  body: ManagementErrorBody;
} {
  const headers: Record<string, string> = { ...e.headers, 'cache-control': 'no-store' };
  if (e.authenticate !== undefined) headers['www-authenticate'] = e.authenticate;
  return {
    status: e.status,
    headers,
    body: {
      statusCode: e.status,
      error: STATUS_TEXT[e.status] ?? 'Error',
      message: e.message,
      errorCode: e.code,
    },
  };
}

/** A 400 about the query string. */
export function invalidQuery(message: string): ManagementError {
  return new ManagementError(400, 'invalid_query', message);
}

/** 404 for what does not exist and for what the caller may not see alike, so neither can be told apart. */
export function notFound(what: string, id: string): ManagementError {
  return new ManagementError(
    404,
    'not_found',
    `there is no ${what} ${JSON.stringify(id.slice(0, 200))} in the namespaces your token reaches`,
  );
}
