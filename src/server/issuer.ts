import { ConfigError } from '../config-error.ts';

/** Where every endpoint lives, derived once from the issuer. */
export interface IssuerUrls {
  /** The issuer exactly as configured: the `iss` claim and the metadata `issuer`. */
  issuer: string;
  tokenEndpoint: string;
  jwksUri: string;
  /** RFC 7662 token introspection. */
  introspectionEndpoint: string;
  /** RFC 7009 token revocation. */
  revocationEndpoint: string;
  /** RFC 6749 §3.1, OpenID Connect Core §3.1.2. */
  authorizationEndpoint: string;
  /** RFC 9126 pushed authorization requests. */
  parEndpoint: string;
  /** RFC 8628 §3.1 device authorization. */
  deviceAuthorizationEndpoint: string;
  /** RFC 8628 §3.2 `verification_uri`: the page where a person enters a device's code. */
  verificationUri: string;
  /** OpenID Connect Core §5.3. */
  userinfoEndpoint: string;
  /** OpenID Connect RP-Initiated Logout 1.0 `end_session_endpoint`. */
  endSessionEndpoint: string;
  /** Where upstream providers send people back to (a Connection's redirect URI to register upstream). */
  loginCallback: string;
  /** The management API's base URL and identifier, the `aud` of its tokens: `<issuer>/api/v1`. */
  managementApi: string;
  /** Paths the server routes. */
  paths: {
    token: string;
    jwks: string;
    introspection: string;
    revocation: string;
    authorize: string;
    par: string;
    deviceAuthorization: string;
    /** The hosted device verification page. */
    device: string;
    userinfo: string;
    endSession: string;
    /** The hosted login page (choose a Connection, test users' form). */
    login: string;
    loginCallback: string;
    /** The hosted consent page. */
    consent: string;
    /** The hosted page where a person in several organizations chooses one. */
    organization: string;
    /** The management API (issue 14), whose URL is also its identifier. */
    management: string;
    /** `<issuer path>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4): answered 404 for now. */
    openidConfiguration: string;
    /** `/.well-known/oauth-authorization-server<issuer path>` (RFC 8414 §3). */
    oauthMetadata: string;
  };
}

const SAFE_PATH = /^(?:\/[A-Za-z0-9._~-]+)*$/;

/**
 * Checks the issuer and derives the endpoint URLs. The issuer may have a path (`https://host/auth`):
 * endpoints hang below it, and the RFC 8414 metadata goes between host and path.
 *
 * @throws {ConfigError} unless the issuer is an http(s) URL in canonical form without query, fragment,
 *   credentials or trailing slash, whose path uses only unreserved characters
 * @example
 * issuerUrls('https://auth.example.com').tokenEndpoint; // 'https://auth.example.com/oauth2/token'
 */
export function issuerUrls(issuer: string, field = 'issuer'): IssuerUrls {
  let url: URL;
  try {
    url = new URL(issuer);
  } catch {
    throw new ConfigError(
      field,
      `must be an absolute http(s) URL such as https://auth.example.com (got '${issuer}')`,
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(field, `must use https (or http for development), not ${url.protocol}`);
  }
  if (
    url.username !== '' ||
    url.password !== '' ||
    url.search !== '' ||
    url.hash !== '' ||
    issuer.includes('?')
  ) {
    throw new ConfigError(field, 'must not contain credentials, a query or a fragment (RFC 8414 section 2)');
  }
  if (issuer.endsWith('/')) {
    throw new ConfigError(field, `must not end with '/': use '${issuer.replace(/\/+$/, '')}'`);
  }
  if (url.href !== issuer && url.href !== `${issuer}/`) {
    throw new ConfigError(field, `must be written in canonical form: '${url.href.replace(/\/$/, '')}'`);
  }
  const base = url.pathname === '/' ? '' : url.pathname;
  if (!SAFE_PATH.test(base)) {
    throw new ConfigError(field, 'its path may contain only letters, digits and . _ ~ - between slashes');
  }
  const paths = {
    token: `${base}/oauth2/token`,
    jwks: `${base}/.well-known/jwks.json`,
    introspection: `${base}/oauth2/introspect`,
    revocation: `${base}/oauth2/revoke`,
    authorize: `${base}/oauth2/authorize`,
    par: `${base}/oauth2/par`,
    deviceAuthorization: `${base}/oauth2/device_authorization`,
    device: `${base}/device`,
    userinfo: `${base}/oauth2/userinfo`,
    endSession: `${base}/oauth2/logout`,
    login: `${base}/login`,
    loginCallback: `${base}/login/callback`,
    consent: `${base}/consent`,
    organization: `${base}/organization`,
    management: `${base}/api/v1`,
    openidConfiguration: `${base}/.well-known/openid-configuration`,
    oauthMetadata: `/.well-known/oauth-authorization-server${base}`,
  };
  return {
    issuer,
    tokenEndpoint: url.origin + paths.token,
    jwksUri: url.origin + paths.jwks,
    introspectionEndpoint: url.origin + paths.introspection,
    revocationEndpoint: url.origin + paths.revocation,
    authorizationEndpoint: url.origin + paths.authorize,
    parEndpoint: url.origin + paths.par,
    deviceAuthorizationEndpoint: url.origin + paths.deviceAuthorization,
    verificationUri: url.origin + paths.device,
    userinfoEndpoint: url.origin + paths.userinfo,
    endSessionEndpoint: url.origin + paths.endSession,
    loginCallback: url.origin + paths.loginCallback,
    managementApi: url.origin + paths.management,
    paths,
  };
}
