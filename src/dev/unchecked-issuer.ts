import type { ConnectionSpec } from '../api/connection.ts';

/**
 * What a Connection whose issuer has not been checked says in dev mode (`IssuerVerified` Unknown), by type:
 * the operator's words ("the operator verifies…") would send a developer looking for an operator, when the
 * way out is a flag of the command they ran (issue 16).
 */
export function uncheckedIssuerMessages(
  checkConnections: boolean,
): Readonly<Partial<Record<ConnectionSpec['type'], string>>> {
  const oidc = checkConnections
    ? 'the issuer has not been contacted yet; dev mode fetches discovery and keys (--check-connections)'
    : 'dev mode contacts no issuer: start it with --check-connections to fetch discovery and keys, so that tokens from this issuer are accepted';
  return {
    oidc,
    google: oidc,
    kubernetes:
      'dev mode cannot check a Connection of type kubernetes: it needs a Kubernetes API server (latchkey operator)',
  };
}
