import type { AddressPolicy } from '../../outbound/address-policy.ts';
import { claimOrder, sameClaimKeys } from '../claims.ts';
import type {
  ConnectionCheck,
  DeclaredConnection,
  DeclaredOAuthClient,
  DeclaredResourceServer,
  SecretData,
  WorldInputs,
} from '../objects.ts';
import type { CompiledApis } from './apis.ts';
import type { ClientEntry, ClientReuse } from './clients.ts';
import { connectionSecretKey } from './connection-sign-in.ts';
import type { CompiledConnections } from './connections.ts';
import type { CompiledRoles } from './roles.ts';

/**
 * The inputs every reference resolves against: ResourceServers, Connections (with their issuer checks and
 * upstream client Secrets) and namespace labels.
 * While they are the same, every API and Connection compiles as before, so each Role and OAuthClient whose own
 * inputs are the same too compiles as before.
 */
export interface BaseInputs {
  resourceServers: readonly DeclaredResourceServer[];
  connections: readonly DeclaredConnection[];
  namespaces: ReadonlyMap<string, Readonly<Record<string, string>>>;
  checks: ReadonlyMap<string, ConnectionCheck>;
  /** A client compiled under another policy may have another verdict on its `jwksUri`. */
  addressPolicy: AddressPolicy | undefined;
  /** What unchecked Connections say (WorldInputs.uncheckedIssuer). */
  uncheckedIssuer: WorldInputs['uncheckedIssuer'];
  /** The Secret each Connection's `clientSecretRef` names, in declaration order (undefined when missing). */
  connectionSecrets: readonly (SecretData | undefined)[];
  allowTestConnections: boolean;
}

/** Per-object results of one compile, each valid for the next while everything it read is the same object. */
export interface Reusable {
  base: BaseInputs;
  apis: CompiledApis;
  roles: CompiledRoles;
  clients: ReadonlyMap<DeclaredOAuthClient, ClientEntry>;
  /** The OAuthClients in input order and the indexes that sort them by age. */
  clientOrder: { decls: readonly DeclaredOAuthClient[]; byAge: readonly number[] };
  connections: CompiledConnections;
}

/**
 * What a compile takes from the previous one. The operator's informers and dev mode replace an object on
 * every change, never edit one, so "the same object" means "unchanged".
 */
export interface ReuseDecision {
  /** What follows from each declaration alone (a client's names, the claim order): kept for the same objects. */
  declarations?: Reusable;
  /** The compiled APIs, Roles, clients and Connections: only while the base inputs are the same. */
  results?: Reusable;
}

/** Every object compiles from its declaration: the first compile, and the answer to a stale reuse. */
export const REUSE_NOTHING: ReuseDecision = Object.freeze({});

export function baseInputsOf(
  inputs: WorldInputs,
  resourceServers: readonly DeclaredResourceServer[],
  connections: readonly DeclaredConnection[],
): BaseInputs {
  return {
    resourceServers,
    connections,
    namespaces: new Map(inputs.namespaces),
    checks: new Map(inputs.connectionChecks ?? []),
    addressPolicy: inputs.addressPolicy,
    uncheckedIssuer: inputs.uncheckedIssuer,
    connectionSecrets: connections.map((c) => {
      const key = connectionSecretKey(c);
      return key === undefined ? undefined : inputs.secrets.get(key);
    }),
    allowTestConnections: inputs.allowTestConnections === true,
  };
}

export function decideReuse(previous: Reusable | undefined, base: BaseInputs): ReuseDecision {
  if (previous === undefined) return REUSE_NOTHING;
  return sameBase(previous.base, base)
    ? { declarations: previous, results: previous }
    : { declarations: previous };
}

/**
 * How the clients phase may reuse: the previous claim order while every declaration keeps its claim keys,
 * and a client's previous entry while its declaration, its Secret and every Role it read are the same.
 */
export function clientReuse(decision: ReuseDecision, declared: readonly DeclaredOAuthClient[]): ClientReuse {
  const memo = decision.declarations;
  const results = decision.results;
  return {
    order:
      memo !== undefined && sameClaimKeys(memo.clientOrder.decls, declared)
        ? memo.clientOrder.byAge
        : claimOrder(declared),
    before: (decl) => memo?.clients.get(decl),
    holds: (before, secret, roles) =>
      results !== undefined && before.secret === secret && sameRoles(before.roles, roles),
  };
}

function sameBase(a: BaseInputs, b: BaseInputs): boolean {
  return (
    a.addressPolicy === b.addressPolicy &&
    a.allowTestConnections === b.allowTestConnections &&
    sameItems(a.connectionSecrets, b.connectionSecrets) &&
    sameLabels(a.uncheckedIssuer ?? {}, b.uncheckedIssuer ?? {}) &&
    sameItems(a.resourceServers, b.resourceServers) &&
    sameItems(a.connections, b.connections) &&
    a.checks.size === b.checks.size &&
    [...a.checks].every(([key, check]) => b.checks.get(key) === check) &&
    a.namespaces.size === b.namespaces.size &&
    [...a.namespaces].every(([ns, labels]) => sameLabels(labels, b.namespaces.get(ns)))
  );
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameLabels(
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>> | undefined,
): boolean {
  if (b === undefined) return false;
  const keysOfA = Object.keys(a);
  return (
    keysOfA.length === Object.keys(b).length && keysOfA.every((k) => Object.hasOwn(b, k) && a[k] === b[k])
  );
}

/** Whether every Role a client read is still the entry it read (or still missing). */
function sameRoles(used: ClientEntry['roles'], roles: CompiledRoles): boolean {
  for (let i = 0; i < used.length; i++) {
    const [key, entry] = used[i] as ClientEntry['roles'][number];
    if (roles.get(key) !== entry) return false;
  }
  return true;
}
