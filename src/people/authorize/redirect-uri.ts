import { InvalidRequest, quote } from '../../server/errors.ts';
import type { CompiledClient, CompiledPeopleClient, Snapshot } from '../../store/snapshot.ts';
import { NoRedirect } from './errors.ts';
import { single, type Params } from './parameters.ts';

/** A client people sign in through: one whose grant types include `authorization_code`. */
export type PeopleClient = CompiledClient & { people: CompiledPeopleClient };

// RFC 8252 §7.3 and §8.3: loopback IP literals, not `localhost`, which a resolver or firewall may redirect.
const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', '[::1]']);

/**
 * Whether `sent` is the registered redirect URI `registered` (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3: exact string
 * comparison). The one exception, for `native` clients only: a loopback `http` URI may name any port, because
 * the app listens on whatever port the operating system gives it (RFC 8252 §7.3).
 *
 * @example
 * redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:50123/cb', 'native'); // true
 * redirectUriMatches('http://127.0.0.1/cb', 'http://127.0.0.1:50123/cb', 'web'); // false
 */
export function redirectUriMatches(
  registered: string,
  sent: string,
  appType: CompiledPeopleClient['appType'],
): boolean {
  if (registered === sent) return true;
  if (appType !== 'native') return false;
  const a = loopbackWithoutPort(registered);
  const b = loopbackWithoutPort(sent);
  return a !== undefined && a === b;
}

/** The URI with its port removed, when it is a canonical `http` loopback URI without a fragment; else undefined. */
function loopbackWithoutPort(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  // Only a URI already in canonical form may differ in its port: anything else must match exactly.
  if (url.href !== uri || url.protocol !== 'http:' || !LOOPBACK_HOSTS.has(url.host.replace(/:\d+$/, ''))) {
    return undefined;
  }
  if (url.hash !== '' || url.username !== '' || url.password !== '') return undefined;
  url.port = '';
  return url.href;
}

/**
 * The client named by `client_id`, when it may sign people in.
 *
 * @throws {NoRedirect} when `client_id` is missing, repeated, unknown or names a machine client: with no client
 *   there is no redirect URI to trust (RFC 6749 §4.1.2.1)
 */
export function resolveClient(snapshot: Snapshot, params: Params): PeopleClient {
  let clientId: string | undefined;
  try {
    clientId = single(params, 'client_id');
  } catch (err) {
    throw new NoRedirect(
      'The sign-in link is not valid: client_id is sent more than once or is too long.',
      (err as Error).message,
    );
  }
  if (clientId === undefined) throw new NoRedirect('The sign-in link is not valid: client_id is missing.');
  const client = snapshot.clients.get(clientId);
  if (client === undefined) {
    throw new NoRedirect(
      'The application that sent you here is not known.',
      `unknown client ${quote(clientId)}`,
    );
  }
  if (client.people === undefined || !client.grantTypes.has('authorization_code')) {
    throw new NoRedirect(
      'The application that sent you here cannot sign people in.',
      `client ${quote(clientId)} does not use authorization_code`,
    );
  }
  return client as PeopleClient;
}

/**
 * The redirect URI to answer to: the one sent, when registered, or the only one registered when none is sent
 * (RFC 6749 §3.1.2.3; OpenID Connect Core §3.1.2.1 requires it, OAuth 2.1 allows omitting it with one).
 *
 * @throws {NoRedirect} when it is repeated, not registered, or omitted while several are registered
 */
export function resolveRedirectUri(client: PeopleClient, params: Params): string {
  let sent: string | undefined;
  try {
    sent = single(params, 'redirect_uri');
  } catch (err) {
    if (!(err instanceof InvalidRequest)) throw err;
    throw new NoRedirect(
      'The sign-in link is not valid: redirect_uri is sent more than once or is too long.',
      err.message,
    );
  }
  const { redirectUris, appType } = client.people;
  if (sent === undefined) {
    if (redirectUris.length === 1) return redirectUris[0] as string;
    throw new NoRedirect(
      'The sign-in link is not valid: it does not say where to return to.',
      `redirect_uri is missing and client ${quote(client.clientId)} registers ${redirectUris.length}`,
    );
  }
  if (redirectUris.some((r) => redirectUriMatches(r, sent, appType))) return sent;
  throw new NoRedirect(
    'The sign-in link is not valid: the address to return to is not registered for this application.',
    `redirect_uri ${quote(sent)} is not registered for client ${quote(client.clientId)}`,
  );
}
