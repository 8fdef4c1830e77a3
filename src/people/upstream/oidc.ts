import type { JWTPayload } from 'jose';

import type { CompiledConnection, ConnectionSignIn } from '../../store/snapshot.ts';
import { randomToken } from '../digest.ts';
import { lacksMappedClaims, mapClaims } from './claim-mapping.ts';
import { verifyIdToken } from './id-token.ts';
import {
  authorizationUrl,
  codeFromCallback,
  endpointUrl,
  exchangeCode,
  pkcePair,
  scopeParameter,
  type TokenClient,
} from './oauth-client.ts';
import { OidcDiscovery, type OidcMetadata } from './oidc-discovery.ts';
import { upstreamJson, type UpstreamDeps } from './upstream-http.ts';
import { UpstreamSignInError, type UpstreamIdentity, type UpstreamProvider } from './upstream.ts';

type SignInConnection = CompiledConnection & { signIn: ConnectionSignIn };

/** What makes `google` (or another preset) differ from a plain `oidc` Connection. */
export interface OidcPreset {
  /** The issuer when the Connection names none. */
  defaultIssuer?: string;
  /** Other spellings of `issuer` an ID token's `iss` may use. */
  issuerAliases?: (issuer: string) => readonly string[];
  /**
   * A restriction on the validated ID token, e.g. Google's hosted domain.
   *
   * @throws {UpstreamSignInError} when the person may not sign in through this Connection
   */
  restrict?: (idToken: JWTPayload, signIn: ConnectionSignIn) => void;
}

/** The scopes every OIDC sign-in asks for: the ID token, and the claims Latchkey maps (OIDC Core §5.4). */
export const OIDC_SCOPES = ['openid', 'email', 'profile'] as const;

/**
 * An `oidc` Connection: discovery of its issuer (with the Connection's endpoint overrides), the authorization
 * code flow with PKCE S256 and a `nonce` (OpenID Connect Core §3.1), the ID token validated against the
 * provider's JWK Set, userinfo (§5.3) for mapped claims the ID token lacks, then the claim mapping.
 * Discovery and keys are cached per issuer in the returned provider.
 *
 * @example
 * const provider = oidcProvider({ now: systemClock, addressPolicy: STRICT_POLICY });
 * const { url, codeVerifier, nonce } = await provider.begin(connection, callbackUrl, state);
 */
export function oidcProvider(deps: UpstreamDeps, preset: OidcPreset = {}): UpstreamProvider {
  const discovery = new OidcDiscovery(deps);
  return {
    async begin(connection, callbackUrl, state) {
      const { signIn } = connection;
      const metadata = await discovery.metadata(issuerOf(connection, preset));
      const { codeVerifier, codeChallenge } = pkcePair();
      const nonce = randomToken();
      const url = authorizationUrl(signIn.authorizationUrl ?? metadata.authorizationEndpoint, {
        response_type: 'code',
        client_id: clientIdOf(signIn),
        redirect_uri: callbackUrl,
        scope: scopeParameter(OIDC_SCOPES, signIn.scopes),
        state,
        nonce,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      });
      return { url, codeVerifier, nonce };
    },

    async finish(connection, callbackUrl, callback, pending) {
      const { signIn } = connection;
      const issuer = issuerOf(connection, preset);
      const metadata = await discovery.metadata(issuer);
      const aliases = preset.issuerAliases?.(issuer) ?? [];
      const code = codeFromCallback(callback, {
        issuer,
        alsoAccepted: aliases,
        // An authorization URL set by hand may not be the one that made the RFC 9207 promise.
        promised: metadata.issParameterSupported && signIn.authorizationUrl === undefined,
      });
      const tokenUrl = endpointUrl(signIn.tokenUrl ?? metadata.tokenEndpoint, 'token endpoint');
      const client = tokenClient(signIn, metadata);
      const grant = { code, redirectUri: callbackUrl, codeVerifier: pending.codeVerifier };
      const tokens = await exchangeCode(tokenUrl, client, grant, deps);
      const idToken = await verifyIdToken(
        tokens.id_token,
        {
          issuers: [issuer, ...aliases],
          clientId: client.clientId,
          nonce: pending.nonce,
          algorithms: metadata.idTokenAlgorithms,
          nowMs: deps.now(),
        },
        (refresh) => discovery.keys(metadata.jwksUri, refresh),
      );
      preset.restrict?.(idToken, signIn);
      const userinfoUrl = signIn.profileUrl ?? metadata.userinfoEndpoint;
      let claims: Record<string, unknown> = idToken;
      if (userinfoUrl !== undefined && lacksMappedClaims(claims, signIn.claims)) {
        // The ID token is signed: where both carry a claim, its value stands.
        claims = {
          ...(await userinfo(
            endpointUrl(userinfoUrl, 'userinfo endpoint'),
            tokens.access_token,
            idToken.sub,
            deps,
          )),
          ...claims,
        };
      }
      return identityOf(connection, claims);
    },
  };
}

function identityOf(connection: SignInConnection, claims: Record<string, unknown>): UpstreamIdentity {
  const mapped = mapClaims(claims, connection.signIn.claims);
  if (!mapped.ok) {
    throw new UpstreamSignInError(
      'claims_invalid',
      `The sign-in provider did not say who you are: ${mapped.reason}.`,
    );
  }
  return { connection: `${connection.namespace}/${connection.name}`, ...mapped.person, amr: ['fed'] };
}

/**
 * OpenID Connect Core §5.3: the claims about the person, which must be about the ID token's `sub`
 * (§5.3.4: else they may be another person's, substituted).
 */
async function userinfo(
  url: URL,
  accessToken: string,
  subject: string,
  deps: UpstreamDeps,
): Promise<Record<string, unknown>> {
  const answer = await upstreamJson(
    url,
    { method: 'GET', headers: { accept: 'application/json', authorization: `Bearer ${accessToken}` } },
    'the userinfo endpoint',
    deps,
  );
  const json = answer.json;
  if (answer.status !== 200 || typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new UpstreamSignInError(
      'userinfo_failed',
      `The sign-in provider did not describe you (its userinfo endpoint answered ${answer.status}).`,
    );
  }
  if ((json as Record<string, unknown>).sub !== subject) {
    throw new UpstreamSignInError(
      'userinfo_failed',
      'The sign-in provider described someone else than the person who signed in.',
    );
  }
  return json as Record<string, unknown>;
}

/** Discovery §3: without `token_endpoint_auth_methods_supported` the provider takes `client_secret_basic`. */
export function tokenClient(
  signIn: ConnectionSignIn,
  metadata: Pick<OidcMetadata, 'tokenEndpointAuthMethods'>,
): TokenClient {
  const methods = metadata.tokenEndpointAuthMethods;
  const secretIn =
    methods === undefined ||
    methods.includes('client_secret_basic') ||
    !methods.includes('client_secret_post')
      ? 'basic'
      : 'post';
  return {
    clientId: clientIdOf(signIn),
    ...(signIn.clientSecret === undefined ? {} : { clientSecret: signIn.clientSecret }),
    secretIn,
  };
}

function issuerOf(connection: SignInConnection, preset: OidcPreset): string {
  const issuer = connection.issuer ?? preset.defaultIssuer;
  if (issuer === undefined) throw incomplete('it names no issuer');
  return issuer;
}

function clientIdOf(signIn: ConnectionSignIn): string {
  if (signIn.clientId === undefined) throw incomplete('it names no client id');
  return signIn.clientId;
}

function incomplete(why: string): UpstreamSignInError {
  return new UpstreamSignInError(
    'connection_incomplete',
    `This sign-in method is not set up completely: ${why}.`,
  );
}
