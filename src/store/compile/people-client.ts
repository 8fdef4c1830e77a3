import { parseDuration } from '../../api/duration.ts';
import {
  DEFAULT_ID_TOKEN_LIFETIME,
  DEFAULT_REFRESH_ABSOLUTE_LIFETIME,
  DEFAULT_REFRESH_IDLE_LIFETIME,
  DEFAULT_REFRESH_REUSE_GRACE,
} from '../../api/oauth-client-people.ts';
import type { OAuthClientSpec } from '../../api/oauth-client.ts';

const DEVICE_CODE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
import type { DeclaredConnection } from '../objects.ts';
import { secretKey } from '../objects.ts';
import { Reason, type Problem } from '../reasons.ts';
import type { CompiledConnection, CompiledPeopleClient } from '../snapshot.ts';
import { describe, resolveRef, type OptIn, type RefTargets } from './resolve-ref.ts';

/** What a client's `spec.connections` resolve against. */
export interface PeopleScope {
  connections: RefTargets<DeclaredConnection>;
  /** The compiled Connections by `namespace/name`: only those with `signIn` may be offered. */
  compiledConnections: ReadonlyMap<string, CompiledConnection>;
  optIn: OptIn;
}

const seconds = (d: string): number => Math.floor((parseDuration(d) as number) / 1000);

/**
 * How people sign in through a client (issue 12): absent unless it has `authorization_code` or the device grant. Its Connections
 * are those of `spec.connections` that resolve and can sign people in, in declared order; each other one, and
 * having none at all, adds a problem, so the client is not Ready and says why.
 */
export function peopleClientOf(
  spec: OAuthClientSpec,
  name: string,
  namespace: string,
  scope: PeopleScope,
  problems: Problem[],
): CompiledPeopleClient | undefined {
  const signsPeopleIn =
    spec.grantTypes.includes('authorization_code') || spec.grantTypes.includes(DEVICE_CODE_GRANT);
  if (!signsPeopleIn || spec.appType === 'non_interactive') return undefined;
  const refresh = spec.refreshToken;
  return {
    appType: spec.appType,
    displayName: spec.displayName ?? name,
    ...(spec.logoUri === undefined ? {} : { logoUri: spec.logoUri }),
    redirectUris: spec.redirectUris ?? [],
    postLogoutRedirectUris: spec.postLogoutRedirectUris ?? [],
    allowedOrigins: spec.allowedOrigins ?? [],
    connections: signInConnections(spec, namespace, scope, problems),
    firstParty: spec.firstParty ?? false,
    requirePushedAuthorizationRequests: spec.requirePushedAuthorizationRequests ?? false,
    idTokenLifetimeSeconds: seconds(spec.idToken?.lifetime ?? DEFAULT_ID_TOKEN_LIFETIME),
    refreshToken: {
      idleSeconds: seconds(refresh?.idleLifetime ?? DEFAULT_REFRESH_IDLE_LIFETIME),
      absoluteSeconds: seconds(refresh?.absoluteLifetime ?? DEFAULT_REFRESH_ABSOLUTE_LIFETIME),
      reuseGraceSeconds: seconds(refresh?.reuseGrace ?? DEFAULT_REFRESH_REUSE_GRACE),
    },
  };
}

/** Keys of the client's Connections that people can sign in through, each once, in declared order. */
function signInConnections(
  spec: OAuthClientSpec,
  namespace: string,
  scope: PeopleScope,
  problems: Problem[],
): string[] {
  const keys: string[] = [];
  const before = problems.length;
  (spec.connections ?? []).forEach((ref, i) => {
    const where = `spec.connections[${i}]`;
    const target = resolveRef(ref, { namespace, where, optIn: scope.optIn, problems }, scope.connections);
    if (target === undefined) return;
    const key = secretKey(target.metadata.namespace, target.metadata.name);
    if (scope.compiledConnections.get(key)?.signIn === undefined) {
      problems.push({
        reason: Reason.ConnectionCannotSignIn,
        message: `${where}: ${describe('Connection', target.metadata.namespace, target.metadata.name)} ${whyNoSignIn(target)}`,
      });
    } else if (!keys.includes(key)) keys.push(key);
  });
  if (keys.length === 0 && problems.length === before) {
    problems.push({
      reason: Reason.ConnectionCannotSignIn,
      message:
        'spec.connections: a client that signs people in needs a Connection they sign in through (oidc, github, google, or test with latchkey dev)',
    });
  }
  return keys;
}

function whyNoSignIn(target: DeclaredConnection): string {
  const { type, clientId } = target.spec;
  if (type === 'kubernetes') {
    return 'is of type kubernetes: workloads federate through it, people cannot sign in through it';
  }
  if (type === 'test') return 'is of type test, which only latchkey dev lets people sign in through';
  if (clientId === undefined) return 'has no spec.clientId: people cannot sign in through it';
  return 'cannot sign people in until the Secret of its spec.clientSecretRef is there (its SecretReady condition says which)';
}
