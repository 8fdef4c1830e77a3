import type { JWTPayload } from 'jose';

import { oidcProvider } from './oidc.ts';
import type { UpstreamDeps } from './upstream-http.ts';
import { UpstreamSignInError, type UpstreamProvider } from './upstream.ts';
import { GOOGLE_ISSUER } from './well-known.ts';

/** Google's issuer (https://developers.google.com/identity/openid-connect/openid-connect#discovery). */
export { GOOGLE_ISSUER };

/**
 * A `google` Connection: the `oidc` provider preset to Google's issuer (a Connection's own issuer wins, which
 * is how tests point it at a local provider), accepting the `iss` spelling Google's ID tokens may also use
 * (`accounts.google.com`, per "Validating an ID token" in Google's OpenID Connect documentation), and refusing
 * people outside the Connection's hosted domains.
 *
 * @example
 * const google = googleProvider({ now: systemClock });
 */
export function googleProvider(deps: UpstreamDeps): UpstreamProvider {
  return oidcProvider(deps, {
    defaultIssuer: GOOGLE_ISSUER,
    issuerAliases: (issuer) => (issuer === GOOGLE_ISSUER ? ['accounts.google.com'] : []),
    restrict: (idToken, signIn) => {
      if (!hostedDomainAllowed(idToken, signIn.hostedDomains)) {
        throw new UpstreamSignInError(
          'domain_not_allowed',
          'This sign-in is for accounts of the organization’s Google Workspace domain only; sign in with that account.',
        );
      }
    },
  });
}

/**
 * Whether the validated ID token's `hd` claim is one of `hostedDomains` (any account when the list is empty).
 * Only the signed ID token's `hd` counts: Google documents the `hd` request parameter as a hint the person can
 * change, and a consumer account has no `hd` at all. Domains are compared without regard to case (DNS names).
 */
export function hostedDomainAllowed(idToken: JWTPayload, hostedDomains: readonly string[]): boolean {
  if (hostedDomains.length === 0) return true;
  const hd = idToken.hd;
  if (typeof hd !== 'string' || hd === '') return false;
  return hostedDomains.some((domain) => domain.toLowerCase() === hd.toLowerCase());
}
