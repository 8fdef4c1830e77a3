import { Agent, type Dispatcher } from 'undici';
import { STRICT_POLICY, vetUrl, type AddressPolicy } from '../outbound/address-policy.ts';
import { vettedLookup, type Resolver } from '../outbound/vetted-lookup.ts';
import type { ConnectionSpec } from '../api/connection.ts';
import { GOOGLE_ISSUER } from '../api/connection-sign-in.ts';
import type { EventBus } from '../events.ts';
import type { KubeApi } from '../kube/types.ts';
import type { ConnectionCheck } from '../store/objects.ts';
import { getJsonObject, type FetchedJson, type FetchLimits } from '../outbound/fetch-json.ts';
import { countSigningKeys } from './issuer-jwks.ts';
import { checkKubernetesIssuer } from './kubernetes-issuer.ts';

export const DEFAULT_CHECK_TIMEOUT_MS = 5_000;

export interface OidcCheckDeps {
  /**
   * Defaults to an agent of this check's own, with a connect timeout of `timeoutMs` and a lookup that
   * connects only to addresses the policy allows, closed afterwards. One given here must vet addresses itself.
   */
  dispatcher?: Dispatcher;
  /** Which hosts and addresses may be contacted; default {@link STRICT_POLICY} (the operator's default). */
  policy?: AddressPolicy;
  /** How names are resolved before they are vetted; default `dns.lookup`. For tests. */
  resolve?: Resolver;
  /** The whole check's budget: discovery and JWKS, connect to last byte. Default 5 s. */
  timeoutMs?: number;
  /**
   * Told what the network said when a fetch fails (at most once per check: a check stops at its first
   * failure), for the log of whoever runs Latchkey. The result's message stays generic: it reaches the
   * tenant's status, and a status that tells refused from 403 makes the operator a port scanner.
   */
  onFetchFailure?: (failure: FetchFailure) => void;
}

/** What a failed fetch of a check met: never shown to the tenant. */
export interface FetchFailure {
  url: string;
  /** `GET <url>: <what happened>`, one line. */
  message: string;
  status?: number;
  code?: string;
}

export interface ConnectionCheckDeps extends OidcCheckDeps {
  /** The cluster's API server; without it a Connection of type `kubernetes` cannot be checked (dev mode). */
  kube?: Pick<KubeApi, 'getRaw'>;
}

/**
 * An {@link OidcCheckDeps.onFetchFailure} that emits `connection.fetchFailed` for one Connection, which the
 * operator and dev mode log at warn level.
 *
 * @example
 * checkConnection(spec, { policy, onFetchFailure: fetchFailureEvents(events, 'Connection/ci/github') });
 */
export function fetchFailureEvents(events: EventBus, connection: string): (failure: FetchFailure) => void {
  return (failure) => events.emit('connection.fetchFailed', { connection, ...failure });
}

const DISCOVERY_SUFFIX = '/.well-known/openid-configuration';
const RFC8414_SUFFIX = '/.well-known/oauth-authorization-server';
const fail = (message: string): ConnectionCheck => ({ ok: false, message });
/** Quotes a value for a message; values from the network are cut so a status message stays short. */
const quote = (value: string): string =>
  JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}…` : value);

/**
 * Checks an OpenID Connect issuer the way a relying party will use it: its discovery document
 * (OpenID Connect Discovery §4) must name exactly this issuer (§4.3) and an https `jwks_uri` (which may be on
 * another host, as Google's is), and that JWK Set must hold at least one key that verifies signatures. Redirects are not followed.
 * Resolves `{ok: false, message}` for every network, HTTP or content problem; throws only on misuse.
 *
 * @example
 * const check = await checkOidcIssuer('https://sso.example.com', { timeoutMs: 5_000 });
 * if (!check.ok) console.log(check.message); // GET https://sso.example.com/.well-known/openid-configuration: answered 404
 */
export async function checkOidcIssuer(issuer: string, deps: OidcCheckDeps = {}): Promise<ConnectionCheck> {
  const timeoutMs = deps.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
  }
  if (!URL.canParse(issuer)) return fail(`issuer ${quote(issuer)} is not a URL`);
  const issuerUrl = new URL(issuer);
  if (issuerUrl.protocol !== 'https:' && issuerUrl.protocol !== 'http:') {
    return fail(`issuer ${quote(issuer)} is not an https URL`);
  }
  // OpenID Connect Core §2 (`iss`): a URL with no query or fragment components.
  if (issuerUrl.search !== '' || issuerUrl.hash !== '' || issuer.includes('?') || issuer.includes('#')) {
    return fail(`issuer ${quote(issuer)} must not have a query or fragment`);
  }
  const policy = deps.policy ?? STRICT_POLICY;
  const verdict = vetUrl(issuerUrl, policy);
  if (!verdict.ok) return fail(`issuer ${quote(issuer)} is not allowed: ${verdict.reason}`);

  const lookup = vettedLookup(policy, deps.resolve);
  const dispatcher =
    deps.dispatcher ??
    new Agent({ connect: { timeout: timeoutMs, lookup }, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
  const limits: FetchLimits = { dispatcher, signal: AbortSignal.timeout(timeoutMs), timeoutMs };
  try {
    return await checkWithin(issuer, issuerUrl, limits, policy, deps.onFetchFailure ?? (() => undefined));
  } finally {
    if (dispatcher !== deps.dispatcher) await dispatcher.destroy();
  }
}

/**
 * What a tenant is told when a fetch failed. Refused, reset, timed out, a 403, a redirect or an HTML page all
 * read the same: telling them apart would make the operator a port scanner of its own network.
 */
function fetchFailure(
  fetched: FetchedJson & { ok: false },
  what: string,
  url: URL,
  label: string,
): ConnectionCheck {
  if (fetched.notAllowed !== undefined) return fail(`${label} is not allowed: ${fetched.notAllowed}`);
  return fail(
    `could not fetch ${what} at ${url.href}: no 200 answer with a JSON object (redirects are not followed)`,
  );
}

async function checkWithin(
  issuer: string,
  issuerUrl: URL,
  limits: FetchLimits,
  policy: AddressPolicy,
  report: (failure: FetchFailure) => void,
): Promise<ConnectionCheck> {
  const reported = (fetched: FetchedJson & { ok: false }, url: URL) => {
    const { message, status, code } = fetched;
    report({
      url: url.href,
      message,
      ...(status !== undefined ? { status } : {}),
      ...(code ? { code } : {}),
    });
    return fetched;
  };
  const found = await fetchDiscovery(issuer, limits);
  if (!found.ok) {
    for (const [url, failed] of found.failures) reported(failed, url);
    const [first, failed] = found.failures[0] as [URL, FetchedJson & { ok: false }];
    return fetchFailure(failed, 'the discovery document', first, `issuer ${quote(issuer)}`);
  }
  const { discovery, discoveryUrl } = found;
  const doc = discovery.json;

  // What the document says is not repeated: the host may be one the tenant does not run.
  if (typeof doc.issuer !== 'string') return fail(`discovery at ${discoveryUrl.href} has no issuer`);
  if (doc.issuer !== issuer) {
    return fail(
      `the discovery document at ${discoveryUrl.href} names another issuer than ${quote(issuer)} (OpenID Connect Discovery §4.3: they must be equal)`,
    );
  }
  if (doc.jwks_uri === undefined) return fail(`discovery at ${discoveryUrl.href} has no jwks_uri`);
  if (typeof doc.jwks_uri !== 'string' || !URL.canParse(doc.jwks_uri)) {
    return fail(`discovery at ${discoveryUrl.href} has a jwks_uri that is not a URL`);
  }
  const jwksUri = doc.jwks_uri;
  const jwksUrl = new URL(jwksUri);
  // Plain http only for an http issuer: a local or development provider, never as a downgrade.
  const schemeAllowed =
    jwksUrl.protocol === 'https:' || (jwksUrl.protocol === 'http:' && issuerUrl.protocol === 'http:');
  if (!schemeAllowed) return fail(`discovery's jwks_uri ${quote(jwksUri)} is not an https URL`);
  const verdict = vetUrl(jwksUrl, policy);
  if (!verdict.ok) return fail(`discovery's jwks_uri ${quote(jwksUri)} is not allowed: ${verdict.reason}`);
  const jwks = await getJsonObject(jwksUrl, limits, {
    accept: 'application/jwk-set+json, application/json',
    who: 'the JWKS host',
  });
  if (!jwks.ok) {
    const failed = reported(jwks, jwksUrl);
    return fetchFailure(failed, 'the JWK Set', jwksUrl, `discovery's jwks_uri ${quote(jwksUri)}`);
  }
  const counted = await countSigningKeys(jwks.json, `JWKS at ${jwksUrl.href}`);
  if (!counted.ok) return counted;
  return { ok: true, issuer, jwksUri, keys: counted.keys, jwks: counted.jwks };
}

/**
 * Where an issuer's metadata may be, in the order they are tried: OpenID Connect Discovery §4.1 (the issuer
 * with any trailing slash removed, then the well-known path), then RFC 8414 §3.1 (the well-known path
 * inserted before the issuer's path). An issuer that is an OAuth 2.0 authorization server but not an OpenID
 * provider (another Latchkey, for one) publishes only the second.
 *
 * @example discoveryUrls('https://sso.example.com/tenant') // [https://sso.example.com/tenant/.well-known/openid-configuration,
 *   https://sso.example.com/.well-known/oauth-authorization-server/tenant]
 */
export function discoveryUrls(issuer: string): URL[] {
  const url = new URL(issuer);
  const path = url.pathname.replace(/\/+$/, '');
  return [
    new URL(issuer.replace(/\/+$/, '') + DISCOVERY_SUFFIX),
    new URL(`${url.origin}${RFC8414_SUFFIX}${path}`),
  ];
}

type DiscoveryFound =
  | { ok: true; discovery: FetchedJson & { ok: true }; discoveryUrl: URL }
  | { ok: false; failures: [URL, FetchedJson & { ok: false }][] };

/** The first metadata document of {@link discoveryUrls} that answers, or every failure in order. */
async function fetchDiscovery(issuer: string, limits: FetchLimits): Promise<DiscoveryFound> {
  const failures: [URL, FetchedJson & { ok: false }][] = [];
  for (const url of discoveryUrls(issuer)) {
    const discovery = await getJsonObject(url, limits, { accept: 'application/json', who: 'the issuer' });
    if (discovery.ok) return { ok: true, discovery, discoveryUrl: url };
    // A refused address is refused for the second location too: asking again would only repeat it.
    failures.push([url, discovery]);
    if (discovery.notAllowed !== undefined) break;
  }
  return { ok: false, failures };
}

/**
 * Checks a Connection's identity source: an OpenID Connect issuer (`oidc`, `google` at Google's issuer) or this
 * cluster's ServiceAccount issuer (`kubernetes`, which needs `deps.kube`). `github` and `test` have no issuer.
 */
export async function checkConnection(
  spec: ConnectionSpec,
  deps: ConnectionCheckDeps = {},
): Promise<ConnectionCheck> {
  switch (spec.type) {
    case 'oidc':
      if (spec.issuer === undefined) return fail('spec.issuer is required for a Connection of type oidc');
      return checkOidcIssuer(spec.issuer, deps);
    case 'kubernetes': {
      if (deps.kube === undefined) {
        return fail(
          'a Connection of type kubernetes needs a Kubernetes API server, and there is none (dev mode)',
        );
      }
      const check = await checkKubernetesIssuer(deps.kube);
      if (check.ok && spec.issuer !== undefined && spec.issuer !== check.issuer) {
        return fail(
          `the cluster's ServiceAccount issuer is ${quote(check.issuer)}, spec.issuer says ${quote(spec.issuer)}`,
        );
      }
      return check;
    }
    case 'google':
      return checkOidcIssuer(GOOGLE_ISSUER, deps);
    case 'github':
    case 'test':
      return fail(`a Connection of type ${spec.type} has no issuer to check`);
    default: {
      const unknownType: never = spec.type;
      throw new TypeError(`unknown Connection type ${String(unknownType)}`);
    }
  }
}
