import type { FastifyInstance } from 'fastify';
import { InvalidRequest, quote } from './errors.ts';

/** Largest request body the token endpoint reads; a form with every parameter fits many times over. */
export const BODY_LIMIT = 16 * 1024;

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** A parsed `application/x-www-form-urlencoded` body. */
export interface Form {
  /**
   * Each parameter by name, with a null prototype so `__proto__` or `constructor` are plain names.
   * `resource` is not here: see {@link Form.resources}.
   */
  readonly params: Readonly<Record<string, string>>;
  /** Every `resource` value in order (RFC 8707 §2 allows the parameter several times). */
  readonly resources: readonly string[];
}

export const EMPTY_FORM: Form = Object.freeze({ params: Object.freeze(Object.create(null)), resources: [] });

const PLUS = /\+/g;

/**
 * Parses a form body (WHATWG URL `application/x-www-form-urlencoded`: `+` is a space, `%XX` a UTF-8 byte).
 * Throws {@link InvalidRequest} for malformed percent-encoding and for any parameter but `resource` that
 * appears more than once (RFC 6749 §3.2).
 *
 * @example
 * parseForm('grant_type=client_credentials&scope=a+b').params.scope; // 'a b'
 */
export function parseForm(body: string): Form {
  const params: Record<string, string> = Object.create(null);
  const resources: string[] = [];
  if (body.length === 0) return { params, resources };
  let start = 0;
  while (start <= body.length) {
    let end = body.indexOf('&', start);
    if (end === -1) end = body.length;
    if (end > start) {
      const eq = body.indexOf('=', start);
      const hasValue = eq !== -1 && eq < end;
      const name = decode(body.slice(start, hasValue ? eq : end));
      const value = hasValue ? decode(body.slice(eq + 1, end)) : '';
      if (name === 'resource') resources.push(value);
      else if (Object.hasOwn(params, name)) {
        throw new InvalidRequest(`parameter ${quote(name)} is included more than once`);
      } else params[name] = value;
    }
    start = end + 1;
  }
  return { params, resources };
}

function decode(text: string): string {
  const spaced = text.includes('+') ? text.replace(PLUS, ' ') : text;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    throw new InvalidRequest('the request body has malformed percent-encoding');
  }
}

// RFC 6749 Appendix B: the body is UTF-8. A charset parameter is allowed only when it says so.
const CHARSET = /;\s*charset\s*=\s*("?)([^";\s]*)\1/i;

/** Throws unless a `Content-Type` header names a UTF-8 form (or has no charset parameter). */
export function checkFormCharset(contentType: string): void {
  const m = CHARSET.exec(contentType);
  if (m !== null && m[2]?.toLowerCase() !== 'utf-8') {
    throw new InvalidRequest('the request body must be UTF-8: send charset=utf-8 or no charset');
  }
}

/**
 * Throws (415) for a body with a content coding other than `identity`: read as plain it would be garbage, and
 * decoding it would let a small body grow without bound. RFC 9110 §8.4.1: a server refuses a coding it does
 * not accept with 415.
 */
export function checkNotEncoded(contentEncoding: string | undefined): void {
  if (contentEncoding === undefined) return;
  const codings = contentEncoding.split(',').map((c) => c.trim().toLowerCase());
  if (codings.every((c) => c === 'identity' || c === '')) return;
  throw new InvalidRequest('the request body must not be encoded: send it without Content-Encoding', {
    status: 415,
  });
}

/**
 * Makes the form parser the only body parser of `app`: a body of any other type is refused before it is
 * read, and the error handler turns that into `invalid_request`. `toBody` turns the checked text into the
 * request body: parsed by default; the authorization endpoint keeps it raw to see repeated parameters itself.
 */
export function registerFormParser(
  app: FastifyInstance,
  toBody: (body: string) => unknown = parseForm,
): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(
    FORM_CONTENT_TYPE,
    { parseAs: 'string', bodyLimit: BODY_LIMIT },
    (request, body, done) => {
      try {
        checkNotEncoded(request.headers['content-encoding']);
        checkFormCharset(request.headers['content-type'] ?? '');
        done(null, toBody(body as string));
      } catch (err) {
        done(err as Error, undefined);
      }
    },
  );
}
