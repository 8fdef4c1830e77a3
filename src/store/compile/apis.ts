import { parseDuration } from '../../api/duration.ts';
import { compareClaims } from '../claims.ts';
import type { DeclaredResourceServer } from '../objects.ts';
import { secretKey } from '../objects.ts';
import { Reason, type Problem } from '../reasons.ts';
import type { CompiledApi } from '../snapshot.ts';
import { describe, type RefTargets } from './resolve-ref.ts';

const MIN_LIFETIME_SECONDS = 1;
const MAX_LIFETIME_SECONDS = 24 * 3600;

/** A ResourceServer in force, with the declaration references are checked against. */
export interface ApiEntry {
  api: CompiledApi;
  decl: DeclaredResourceServer;
}

/** The ResourceServers compiled: what the base inputs make of them before clients are known. */
export interface CompiledApis {
  apis: Map<string, CompiledApi>;
  apiByKey: Map<string, ApiEntry>;
  /** Each ResourceServer's problems and introspectors (the set its CompiledApi holds), in declaration age order. */
  problems: { rs: DeclaredResourceServer; problems: Problem[]; introspectors?: Set<string> }[];
}

/**
 * The ResourceServers: the oldest declaration of an identifier wins (src/store/claims.ts). Their resolutions
 * wait for the clients their `spec.introspection` names (./introspection.ts). `builtIn`, the management API
 * (./management-api.ts), compiles like the others and has no resolution.
 */
export function compileApis(
  declared: readonly DeclaredResourceServer[],
  builtIn?: DeclaredResourceServer,
): CompiledApis {
  const apis = new Map<string, CompiledApi>();
  const apiByKey = new Map<string, ApiEntry>();
  const problemsOf: CompiledApis['problems'] = [];
  for (const rs of [...declared].sort(compareClaims)) {
    const problems: Problem[] = [];
    const holder = apis.get(rs.spec.identifier);
    const sameName = apiByKey.get(secretKey(rs.metadata.namespace, rs.metadata.name));
    const lifetimeMs = parseDuration(rs.spec.accessToken.lifetime);
    const lifetimeSeconds = lifetimeMs === undefined ? NaN : Math.floor(lifetimeMs / 1000);
    if (sameName) {
      // Only the built-in management API can come before a declared object of the same name.
      problems.push({
        reason: Reason.NameReserved,
        message: `${describe('ResourceServer', rs.metadata.namespace, rs.metadata.name)} has the name of Latchkey's built-in management API and is not in effect: rename it`,
      });
    } else if (holder) {
      problems.push({
        reason: Reason.IdentifierConflict,
        message: `identifier ${rs.spec.identifier} is already used by ${describe('ResourceServer', holder.namespace, holder.name)}`,
      });
    } else if (!(lifetimeSeconds >= MIN_LIFETIME_SECONDS && lifetimeSeconds <= MAX_LIFETIME_SECONDS)) {
      problems.push({
        reason: Reason.InvalidLifetime,
        message: `spec.accessToken.lifetime ${rs.spec.accessToken.lifetime} must be between 1s and 24h`,
      });
    } else {
      const introspectors = new Set<string>();
      const api: CompiledApi = {
        namespace: rs.metadata.namespace,
        name: rs.metadata.name,
        identifier: rs.spec.identifier,
        scopes: rs.spec.scopes.map((s) => s.name),
        lifetimeSeconds,
        algorithm: rs.spec.accessToken.signingAlgorithm,
        introspectors,
        people: {
          permissionsClaim: rs.spec.people.claims.includes('permissions'),
          groupsClaim: rs.spec.people.claims.includes('groups'),
          enforceRoles: rs.spec.people.enforceRoles,
        },
        ...consentTexts(rs),
        ...(rs === builtIn ? { builtIn: true as const } : {}),
      };
      apis.set(api.identifier, api);
      apiByKey.set(secretKey(api.namespace, api.name), { api, decl: rs });
      // The built-in API has no object to report on.
      if (rs !== builtIn) problemsOf.push({ rs, problems, introspectors });
      continue;
    }
    problemsOf.push({ rs, problems });
  }
  return { apis, apiByKey, problems: problemsOf };
}

/** What the consent page shows of an API (issue 12), present only when declared. */
function consentTexts(rs: DeclaredResourceServer): Pick<CompiledApi, 'displayName' | 'scopeDescriptions'> {
  const described = rs.spec.scopes.filter((s) => s.description !== undefined && s.description !== '');
  return {
    ...(rs.spec.displayName === undefined ? {} : { displayName: rs.spec.displayName }),
    ...(described.length === 0
      ? {}
      : { scopeDescriptions: new Map(described.map((s) => [s.name, s.description as string])) }),
  };
}

/** ResourceServers as reference targets: only those in force. */
export function apiTargets(compiled: CompiledApis): RefTargets<ApiEntry> {
  return {
    kind: 'ResourceServer',
    get: (key) => compiled.apiByKey.get(key),
    referable: (entry) => entry.decl,
    mayBeNotReady: true,
  };
}
