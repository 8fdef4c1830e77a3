import type { AuthorizationRequestRecord } from '../records.ts';
import { all, single, type Params } from './parameters.ts';
import { parsePrompt, parseScopes } from './validate.ts';

/** RFC 9126 §2.2: the `request_uri` a PAR response hands out, `urn:ietf:params:oauth:request_uri:<id>`. */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';

/** The request id inside a `request_uri` this server could have issued, or undefined. */
export function pushedRequestId(requestUri: string): string | undefined {
  if (!requestUri.startsWith(REQUEST_URI_PREFIX)) return undefined;
  const id = requestUri.slice(REQUEST_URI_PREFIX.length);
  return /^[A-Za-z0-9_-]{43}$/.test(id) ? id : undefined;
}

/**
 * The first front-channel parameter that contradicts the pushed request, or undefined. RFC 9126 §4 makes the
 * pushed parameters the request; a browser-side value that differs (a swapped `redirect_uri` or `state`) is an
 * attempt to change a request the client authenticated, so it is refused rather than ignored. Values equal to
 * the pushed ones are allowed, as OpenID Connect clients repeat `response_type` and `scope`.
 */
export function conflictingParameter(params: Params, pushed: AuthorizationRequestRecord): string | undefined {
  const expected: Readonly<Record<string, string | undefined>> = {
    response_type: 'code',
    redirect_uri: pushed.redirectUri,
    state: pushed.state,
    nonce: pushed.nonce,
    code_challenge: pushed.codeChallenge,
    code_challenge_method: 'S256',
    max_age: pushed.maxAgeSeconds === undefined ? undefined : String(pushed.maxAgeSeconds),
    login_hint: pushed.loginHint,
  };
  for (const [name, value] of Object.entries(expected)) {
    if (!params.has(name)) continue;
    let sent: string | undefined;
    try {
      sent = single(params, name);
    } catch {
      return name;
    }
    if (sent !== value) return name;
  }
  const lists: Readonly<Record<string, () => readonly string[]>> = {
    scope: () => parseScopes(single(params, 'scope')),
    prompt: () => parsePrompt(single(params, 'prompt')),
    resource: () => [...new Set(all(params, 'resource'))],
  };
  const pushedLists: Readonly<Record<string, readonly string[]>> = {
    scope: pushed.scopes,
    prompt: pushed.prompt,
    resource: pushed.resources,
  };
  for (const [name, read] of Object.entries(lists)) {
    if (!params.has(name)) continue;
    let sent: readonly string[];
    try {
      sent = read();
    } catch {
      return name;
    }
    if (sent.join(' ') !== (pushedLists[name] ?? []).join(' ')) return name;
  }
  if (params.has('request')) return 'request';
  return undefined;
}
