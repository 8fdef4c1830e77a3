import type { JSONWebKeySet } from 'jose';

import { endpointUrl } from './oauth-client.ts';
import { UpstreamCache } from './upstream-cache.ts';
import { upstreamJson, type UpstreamDeps } from './upstream-http.ts';
import { UpstreamSignInError } from './upstream.ts';

/** What a sign-in uses of an OpenID Provider's metadata (OpenID Connect Discovery 1.0 §3). */
export interface OidcMetadata {
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  jwksUri: string;
  userinfoEndpoint?: string;
  /** `token_endpoint_auth_methods_supported`; absent means `client_secret_basic` (§3). */
  tokenEndpointAuthMethods?: readonly string[];
  /** `id_token_signing_alg_values_supported`, asymmetric ones only (Latchkey holds no key for `HS*`). */
  idTokenAlgorithms: readonly string[];
  /** RFC 9207 §3: the provider promises `iss` in every authorization response. */
  issParameterSupported: boolean;
}

/** Discovery and keys are kept this long; an unknown `kid` refetches the keys sooner (rotation). */
export const DISCOVERY_TTL_MS = 5 * 60_000;
/** An ID token signed by a key not in the cached set refetches the set, at most this often per URL. */
export const JWKS_REFETCH_MS = 30_000;

const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$|^ES256K$/;

/** Caches discovery documents and JWK Sets per URL for {@link DISCOVERY_TTL_MS}. */
export class OidcDiscovery {
  readonly #metadata = new UpstreamCache<OidcMetadata>(DISCOVERY_TTL_MS);
  readonly #keys = new UpstreamCache<JSONWebKeySet>(DISCOVERY_TTL_MS);
  readonly #deps: UpstreamDeps;

  constructor(deps: UpstreamDeps) {
    this.#deps = deps;
  }

  /**
   * The provider's metadata from `<issuer>/.well-known/openid-configuration`, which must name exactly this
   * issuer (Discovery §4.3) and the endpoints a code flow needs.
   *
   * @throws {UpstreamSignInError} `upstream_unavailable`, `upstream_not_allowed` or `discovery_invalid`
   */
  async metadata(issuer: string): Promise<OidcMetadata> {
    const cached = this.#metadata.get(issuer, this.#deps.now());
    if (cached !== undefined) return cached.value;
    const url = endpointUrl(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, 'issuer');
    const answer = await upstreamJson(
      url,
      { method: 'GET', headers: { accept: 'application/json' } },
      'the discovery document',
      this.#deps,
    );
    const metadata = answer.status === 200 ? parseMetadata(answer.json, issuer) : undefined;
    if (metadata === undefined) {
      throw new UpstreamSignInError(
        'discovery_invalid',
        'The sign-in provider is not set up correctly: its OpenID discovery document could not be used.',
      );
    }
    this.#metadata.set(issuer, metadata, this.#deps.now());
    return metadata;
  }

  /**
   * The JWK Set at `jwksUri`; `refresh` fetches it again when the cached one is older than
   * {@link JWKS_REFETCH_MS} (an ID token signed by a key the cached set lacks: the provider rotated).
   */
  async keys(jwksUri: string, refresh = false): Promise<JSONWebKeySet> {
    const now = this.#deps.now();
    const cached = this.#keys.get(jwksUri, now);
    if (cached !== undefined && (!refresh || now - cached.atMs < JWKS_REFETCH_MS)) return cached.value;
    const answer = await upstreamJson(
      endpointUrl(jwksUri, 'key set URL'),
      { method: 'GET', headers: { accept: 'application/jwk-set+json, application/json' } },
      'the key set',
      this.#deps,
    );
    const json = answer.json as { keys?: unknown } | null;
    if (answer.status !== 200 || typeof json !== 'object' || json === null || !Array.isArray(json.keys)) {
      throw new UpstreamSignInError(
        'discovery_invalid',
        'The sign-in provider is not set up correctly: its signing keys could not be read.',
      );
    }
    const keys = { keys: json.keys.filter((k) => typeof k === 'object' && k !== null) } as JSONWebKeySet;
    this.#keys.set(jwksUri, keys, now);
    return keys;
  }
}

/** Reads the members a sign-in needs; undefined when the document is not usable for this issuer. */
export function parseMetadata(json: unknown, issuer: string): OidcMetadata | undefined {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return undefined;
  const doc = json as Record<string, unknown>;
  const url = (name: string) =>
    typeof doc[name] === 'string' && URL.canParse(doc[name]) ? (doc[name] as string) : undefined;
  const strings = (name: string) => {
    const value = doc[name];
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
  };
  const [authorizationEndpoint, tokenEndpoint, jwksUri] = [
    url('authorization_endpoint'),
    url('token_endpoint'),
    url('jwks_uri'),
  ];
  if (doc.issuer !== issuer || !authorizationEndpoint || !tokenEndpoint || !jwksUri) return undefined;
  const userinfoEndpoint = url('userinfo_endpoint');
  const tokenEndpointAuthMethods = strings('token_endpoint_auth_methods_supported');
  // Discovery §3: RS256 must be supported, and is the default when the member is absent.
  const algorithms = (strings('id_token_signing_alg_values_supported') ?? ['RS256']).filter((a) =>
    ASYMMETRIC.test(a),
  );
  return {
    issuer,
    authorizationEndpoint,
    tokenEndpoint,
    jwksUri,
    ...(userinfoEndpoint === undefined ? {} : { userinfoEndpoint }),
    ...(tokenEndpointAuthMethods === undefined ? {} : { tokenEndpointAuthMethods }),
    idTokenAlgorithms: algorithms.length > 0 ? algorithms : ['RS256'],
    issParameterSupported: doc.authorization_response_iss_parameter_supported === true,
  };
}
