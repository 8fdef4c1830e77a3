import { InvalidRequest, quote } from '../../server/errors.ts';
import type { Form } from '../../server/form.ts';

/**
 * The parameters of an authorization request: every value of each name, in the order sent. Kept as lists so a
 * repeated parameter is seen and refused (RFC 6749 §3.1) instead of one value silently winning.
 */
export type Params = ReadonlyMap<string, readonly string[]>;

/** Longest value accepted for any parameter: requests are stored, and nothing legitimate comes near it. */
export const MAX_PARAMETER_LENGTH = 4096;

function collect(search: URLSearchParams): Params {
  const params = new Map<string, string[]>();
  for (const [name, value] of search) {
    const list = params.get(name);
    if (list === undefined) params.set(name, [value]);
    else list.push(value);
  }
  return params;
}

/** Parameters from a request URL's query (`GET /oauth2/authorize?...`). */
export function paramsFromUrl(url: string): Params {
  const q = url.indexOf('?');
  return collect(new URLSearchParams(q === -1 ? '' : url.slice(q + 1)));
}

/** Parameters from an `application/x-www-form-urlencoded` body (`POST /oauth2/authorize`). */
export function paramsFromBody(body: string): Params {
  return collect(new URLSearchParams(body));
}

/** Parameters from a form the server's form parser read (PAR), which has refused repeats already. */
export function paramsFromForm(form: Form): Params {
  const params = new Map<string, string[]>();
  for (const [name, value] of Object.entries(form.params)) params.set(name, [value]);
  if (form.resources.length > 0) params.set('resource', [...form.resources]);
  return params;
}

/** The first parameter sent more than once, other than `resource` (RFC 8707 §2 allows it several times). */
export function repeatedParameter(params: Params): string | undefined {
  for (const [name, values] of params) if (name !== 'resource' && values.length > 1) return name;
  return undefined;
}

/**
 * The one value of `name`, or undefined when absent or empty (RFC 6749 §3.1: a parameter without a value is
 * treated as omitted).
 *
 * @throws {InvalidRequest} when it is repeated or longer than {@link MAX_PARAMETER_LENGTH}
 */
export function single(params: Params, name: string): string | undefined {
  const values = params.get(name);
  if (values === undefined) return undefined;
  if (values.length > 1) throw new InvalidRequest(`parameter ${quote(name)} is included more than once`);
  const value = values[0];
  if (value === undefined || value.length === 0) return undefined;
  if (value.length > MAX_PARAMETER_LENGTH) {
    throw new InvalidRequest(`parameter ${quote(name)} is longer than ${MAX_PARAMETER_LENGTH} characters`);
  }
  return value;
}

/** Every non-empty value of `name`, in order. */
export function all(params: Params, name: string): readonly string[] {
  return (params.get(name) ?? []).filter((v) => v.length > 0);
}
