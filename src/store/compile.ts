import { createSecretKey } from 'node:crypto';
import { parseDuration } from '../api/duration.ts';
import type { OAuthClientSpec } from '../api/oauth-client.ts';
import { AUTH_METHOD_CAPABILITIES, GRANT_CAPABILITIES } from '../api/protocol-capabilities.ts';
import type { SigningKeys } from '../keys/signing-keys.ts';
import type {
  ConnectionCheck,
  DeclaredConnection,
  DeclaredOAuthClient,
  DeclaredObject,
  DeclaredOrganization,
  DeclaredResourceServer,
  DeclaredRole,
  ObjectKey,
  SecretData,
  WorldInputs,
} from './objects.ts';
import { assertionLifetimeOf } from './client-assertion.ts';
import { federatedSubjectRefusal } from './federated-subjects.ts';
import { parseClientKey, type ClientKey } from './client-keys.ts';
import { jwksUriProblem } from './jwks-uri.ts';
import type { AddressPolicy } from '../outbound/address-policy.ts';
import { objectKey, secretKey } from './objects.ts';
import { defaultClientId, organizationId, secretNameOf } from './names.ts';
import { ConditionType, Reason, type Problem, type ReasonName } from './reasons.ts';
import { permissionsReaching } from './api-reach.ts';
import { claimClientId, claimOrder, claimOrganizationName, compareClaims, sameClaimKeys } from './claims.ts';
import { previousSecretKey, SECRET_ROTATION_ANNOTATIONS } from '../api/oauth-client.ts';
import {
  digestSecretOf,
  MIN_EXISTING_SECRET_LENGTH,
  rotationTimesOf,
  timeText,
  type RotationTimes,
} from './secrets.ts';
import { NAMESPACE_NAME_LABEL, selectorMatches, type LabelSelector } from './selector.ts';
import type {
  AssertionKeys,
  ClientOrganization,
  CompiledApi,
  CompiledClient,
  CompiledConnection,
  CompiledOrganization,
  Expiring,
  FederatedIdentity,
  Grant,
  Snapshot,
} from './snapshot.ts';

/** A condition as the store decides it; the operator adds observedGeneration and lastTransitionTime. */
export interface ConditionDecision {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: ReasonName;
  message: string;
}

/** What became of one declared object: its conditions and the status fields the store knows. */
export interface Resolution {
  kind: DeclaredObject['kind'];
  namespace: string;
  name: string;
  generation?: number;
  ready: boolean;
  conditions: ConditionDecision[];
  clientId?: string;
  secretName?: string;
  /** Rotation of a generated secret, as RFC 3339 times (see `rotationTimesOf`). */
  secretRotatedAt?: string;
  previousSecretValidUntil?: string;
  nextSecretRotationAt?: string;
  organizationId?: string;
  issuer?: string;
  jwksUri?: string;
}

export interface Compiled {
  snapshot: Snapshot;
  resolutions: ReadonlyMap<ObjectKey, Resolution>;
  /** What the next compile may reuse when given this one (see {@link compile}). */
  readonly reusable?: Reusable;
}

/**
 * The inputs every reference resolves against: ResourceServers, Connections, namespace labels and issuer checks.
 * While they are the same, every API and Connection compiles as before, so each Role and OAuthClient whose own
 * inputs are the same too compiles as before.
 */
interface BaseInputs {
  resourceServers: readonly DeclaredResourceServer[];
  connections: readonly DeclaredConnection[];
  namespaces: ReadonlyMap<string, Readonly<Record<string, string>>>;
  checks: ReadonlyMap<string, ConnectionCheck>;
  /** A client compiled under another policy may have another verdict on its `jwksUri`. */
  addressPolicy: AddressPolicy | undefined;
}

interface RoleEntry {
  decl: DeclaredRole;
  objectKey: ObjectKey;
  permissions: { api: CompiledApi; scopes: string[] }[];
  resolution: Resolution;
}

/** One OAuthClient's result before organizations attach, with everything it was compiled from. */
interface ClientEntry extends ClientNames {
  secret: SecretData | undefined;
  /** The Role entries its `spec.roles` resolved to, by `namespace/name`; undefined when not found. */
  roles: readonly (readonly [string, RoleEntry | undefined])[];
  /** Absent when the client cannot authenticate, so the snapshot does not hold it. */
  client?: CompiledClient;
  resolution: Resolution;
}

/** What follows from an OAuthClient's declaration alone, kept so that a reused client costs no string building. */
interface ClientNames {
  decl: DeclaredOAuthClient;
  objectKey: ObjectKey;
  clientId: string;
  secretName: string;
  /** `namespace/name` of the client, and of its Secret. */
  key: string;
  secretKey: string;
}

/** Per-object results of one compile, each valid for the next while everything it read is the same object. */
interface Reusable {
  base: BaseInputs;
  apis: CompiledApis;
  roles: Map<string, RoleEntry>;
  clients: Map<DeclaredOAuthClient, ClientEntry>;
  /** The OAuthClients in input order and the indexes that sort them by age. */
  clientOrder: { decls: readonly DeclaredOAuthClient[]; byAge: readonly number[] };
  connections: CompiledConnections;
}

/** The ResourceServers compiled: what the base inputs make of them before clients are known. */
interface CompiledApis {
  apis: Map<string, CompiledApi>;
  apiByKey: Map<string, { api: CompiledApi; decl: DeclaredResourceServer }>;
  /** Each ResourceServer's problems and introspectors (the set its CompiledApi holds), in declaration age order. */
  problems: { rs: DeclaredResourceServer; problems: Problem[]; introspectors?: Set<string> }[];
}

/** The Connections compiled, with their resolutions: they depend on the base inputs alone. */
interface CompiledConnections {
  connections: Map<string, CompiledConnection>;
  connectionsByIssuer: Map<string, CompiledConnection[]>;
  resolutions: [ObjectKey, Resolution][];
}

const MIN_LIFETIME_SECONDS = 1;
const MAX_LIFETIME_SECONDS = 24 * 3600;

interface Ref {
  name: string;
  namespace?: string | undefined;
}

function describe(kind: string, namespace: string, name: string): string {
  return `${kind} ${namespace}/${name}`;
}

/**
 * Compiles the declared world into one immutable snapshot and a resolution per object.
 * Pure: no I/O, no clock. Objects with broken references still serve what did resolve
 * ("no token for the missing part") and are reported not Ready.
 *
 * Given the previous compile, it reuses what that one made of the same objects: a Role, OAuthClient or
 * Connection whose inputs are all the very objects it was compiled from last time is taken as it was (the
 * operator's informers and dev mode replace an object on every change, never edit one), so one change among
 * thousands of clients costs about one client. The result is the one a compile without `previous` gives.
 */
export function compile(
  inputs: WorldInputs,
  keys: SigningKeys,
  version: number,
  previous?: Compiled,
): Compiled {
  const resolutions = new Map<ObjectKey, Resolution>();
  const byKind = {
    ResourceServer: [] as DeclaredResourceServer[],
    Role: [] as DeclaredRole[],
    OAuthClient: [] as DeclaredOAuthClient[],
    Organization: [] as DeclaredOrganization[],
    Connection: [] as DeclaredConnection[],
  };
  for (const o of inputs.objects) (byKind[o.kind] as DeclaredObject[]).push(o);

  const base: BaseInputs = {
    resourceServers: byKind.ResourceServer,
    connections: byKind.Connection,
    namespaces: new Map(inputs.namespaces),
    checks: new Map(inputs.connectionChecks ?? []),
    addressPolicy: inputs.addressPolicy,
  };
  const memo = previous?.reusable;
  const reuse = memo !== undefined && sameBase(memo.base, base) ? memo : undefined;

  const namespaceLabels = (ns: string): Readonly<Record<string, string>> => ({
    ...inputs.namespaces.get(ns),
    [NAMESPACE_NAME_LABEL]: ns,
  });

  /** Cross-namespace opt-in: the target's allowedNamespaces must select the referring namespace. */
  const allowed = (
    target: { metadata: { namespace: string }; spec: { allowedNamespaces?: LabelSelector | undefined } },
    fromNs: string,
  ) =>
    target.metadata.namespace === fromNs ||
    (target.spec.allowedNamespaces !== undefined &&
      selectorMatches(target.spec.allowedNamespaces, namespaceLabels(fromNs)));

  const record = (
    o: DeclaredObject,
    problems: Problem[],
    extra: Partial<Resolution> = {},
    more: ConditionDecision[] = [],
  ): Resolution => {
    const resolution = resolutionOf(o, problems, extra, more);
    resolutions.set(objectKey(o.kind, o.metadata.namespace, o.metadata.name), resolution);
    return resolution;
  };

  // ResourceServers; they are recorded once the OAuthClients their spec.introspection names are known.
  const compiledApis = reuse?.apis ?? compileApis(byKind.ResourceServer);
  const { apis, apiByKey } = compiledApis;
  const apisInForce: ReadonlyMap<string, CompiledApi> = apis;
  const apisByKey: ReadonlyMap<string, { api: CompiledApi; decl: DeclaredResourceServer }> = apiByKey;

  /** Resolves `{resourceServer, scopes}` declared in namespace `fromNs`; returns the grant or records why not. */
  const resolvePermission = (
    perm: { resourceServer: Ref; scopes: readonly string[] },
    fromNs: string,
    where: string,
    problems: Problem[],
  ): { api: CompiledApi; scopes: string[] } | undefined => {
    const ns = perm.resourceServer.namespace ?? fromNs;
    const target = apisByKey.get(secretKey(ns, perm.resourceServer.name));
    const name = describe('ResourceServer', ns, perm.resourceServer.name);
    if (!target) {
      problems.push({
        reason: Reason.ReferenceNotFound,
        message: `${where}: ${name} not found or not ready`,
      });
      return undefined;
    }
    if (!allowed(target.decl, fromNs)) {
      problems.push({
        reason: Reason.ReferenceNotAllowed,
        message: `${where}: ${name} does not allow references from namespace ${fromNs} (its spec.allowedNamespaces)`,
      });
      return undefined;
    }
    const declared = new Set(target.api.scopes);
    const unknown = perm.scopes.filter((s) => !declared.has(s));
    if (unknown.length > 0) {
      problems.push({
        reason: Reason.ScopeNotDeclared,
        message: `${where}: ${name} does not declare scope ${unknown.join(', ')}`,
      });
    }
    const scopes = perm.scopes.filter((s) => declared.has(s));
    return scopes.length > 0 ? { api: target.api, scopes } : undefined;
  };

  // Roles: each keeps the permissions that resolved.
  const roles = new Map<string, RoleEntry>();
  for (const role of byKind.Role) {
    const key = secretKey(role.metadata.namespace, role.metadata.name);
    const before = reuse?.roles.get(key);
    if (before?.decl === role) {
      roles.set(key, before);
      resolutions.set(before.objectKey, before.resolution);
      continue;
    }
    const problems: Problem[] = [];
    const permissions = role.spec.permissions.flatMap((perm, i) => {
      const g = resolvePermission(perm, role.metadata.namespace, `spec.permissions[${i}]`, problems);
      return g ? [g] : [];
    });
    const resolution = record(role, problems, {}, [referencesCondition(problems)]);
    const entry = { decl: role, objectKey: objectKey('Role', role.metadata.namespace, role.metadata.name) };
    roles.set(key, { ...entry, permissions, resolution });
  }

  /** The permissions of a Role that the API owners' opt-in lets reach a client in `ns` (src/store/api-reach.ts). */
  const reaching = (
    role: RoleEntry | undefined,
    ns: string,
    where: string,
    problems: Problem[],
    client = '',
  ) => {
    if (role === undefined) return [];
    const { namespace, name } = role.decl.metadata;
    const apiAllows = (api: CompiledApi, to: string) =>
      allowed(
        (apisByKey.get(secretKey(api.namespace, api.name)) as { decl: DeclaredResourceServer }).decl,
        to,
      );
    const label = `${describe('Role', namespace, name)}${client === '' ? '' : ` for ${client}`}`;
    const via = { namespace, allows: (to: string) => allowed(role.decl, to), label };
    return permissionsReaching(role.permissions, ns, apiAllows, via, where, problems);
  };

  /** Resolves a role reference made from namespace `fromNs`; `used` learns which Role entry it read. */
  const resolveRole = (
    ref: Ref,
    fromNs: string,
    where: string,
    problems: Problem[],
    used?: [string, RoleEntry | undefined][],
  ) => {
    const ns = ref.namespace ?? fromNs;
    const key = secretKey(ns, ref.name);
    const role = roles.get(key);
    used?.push([key, role]);
    const name = describe('Role', ns, ref.name);
    if (!role) {
      problems.push({ reason: Reason.ReferenceNotFound, message: `${where}: ${name} not found` });
      return undefined;
    }
    if (!allowed(role.decl, fromNs)) {
      problems.push({
        reason: Reason.ReferenceNotAllowed,
        message: `${where}: ${name} does not allow references from namespace ${fromNs} (its spec.allowedNamespaces)`,
      });
      return undefined;
    }
    return role;
  };

  /** One OAuthClient that holds its client id, before organizations attach. */
  const compileClient = (names: ClientNames, secretData: SecretData | undefined): ClientEntry => {
    const { decl, clientId, secretName } = names;
    const { namespace, name } = decl.metadata;
    const spec = decl.spec;
    const problems: Problem[] = [];
    const refProblems: Problem[] = [];
    const usedRoles: [string, RoleEntry | undefined][] = [];

    const unsupported = spec.grantTypes.filter((g) => !GRANT_CAPABILITIES[g].supported);
    if (unsupported.length > 0) {
      problems.push({
        reason: Reason.GrantTypeNotSupported,
        message: `grant type ${unsupported.join(', ')} is not supported yet`,
      });
    }
    const federated = spec.federatedIdentities ?? [];
    if (federated.length === 0) {
      spec.grantTypes.forEach((g, i) => {
        if (!GRANT_CAPABILITIES[g].federated) return;
        problems.push({
          reason: Reason.GrantNeedsFederatedIdentity,
          message: `spec.grantTypes[${i}]: ${g} needs spec.federatedIdentities (the grant's token is matched against them)`,
        });
      });
    }
    const method = spec.tokenEndpointAuthMethod;
    const { sharedSecret, presents, supported } = AUTH_METHOD_CAPABILITIES[method];
    if (!supported) {
      problems.push({
        reason: Reason.AuthMethodNotSupported,
        message: `tokenEndpointAuthMethod ${method} is not supported yet`,
      });
    }

    const secretCondition = sharedSecret ? secretConditionOf(decl, secretName, secretData) : undefined;
    const secret = secretCondition?.secret;
    const previousSecret = secretCondition?.previous;
    let assertionKeys: AssertionKeys | undefined;
    // A client with federated identities only (no jwks, no jwksUri) has no keys of its own: its workloads
    // present their tokens from a Connection's issuer instead.
    const ownKeys = federated.length === 0 || spec.jwks !== undefined || spec.jwksUri !== undefined;
    if (method === 'private_key_jwt' && ownKeys)
      assertionKeys = publicKeysOf(spec, problems, inputs.addressPolicy);
    const federatedIdentities: FederatedIdentity[] = [];
    federated.forEach((identity, i) => {
      const ns = identity.connection.namespace ?? namespace;
      const target = byKind.Connection.find(
        (c) => c.metadata.namespace === ns && c.metadata.name === identity.connection.name,
      );
      const label = describe('Connection', ns, identity.connection.name);
      if (!target) {
        refProblems.push({
          reason: Reason.ReferenceNotFound,
          message: `spec.federatedIdentities[${i}]: ${label} not found`,
        });
      } else if (!allowed(target, namespace)) {
        refProblems.push({
          reason: Reason.ReferenceNotAllowed,
          message: `spec.federatedIdentities[${i}]: ${label} does not allow references from namespace ${namespace} (its spec.allowedNamespaces)`,
        });
      } else {
        const where = `spec.federatedIdentities[${i}]`;
        const refused = federatedSubjectRefusal(target.spec.type, identity.subject, namespace, where);
        if (refused) refProblems.push(refused);
        else
          federatedIdentities.push({
            connection: secretKey(ns, target.metadata.name),
            subject: identity.subject,
          });
      }
    });
    // OpenID Connect Core §10.1: the HMAC key is the octets of the UTF-8 representation of the secret.
    if (method === 'client_secret_jwt' && secret !== undefined) {
      assertionKeys = {
        kind: 'secret',
        keys: [createSecretKey(Buffer.from(secret, 'utf8'))],
        ...(previousSecret !== undefined
          ? {
              previous: {
                value: createSecretKey(Buffer.from(previousSecret.value, 'utf8')),
                validUntilMs: previousSecret.validUntilMs,
              },
            }
          : {}),
      };
    }

    const permissions = new Map<string, Set<string>>();
    spec.grants.forEach((perm, i) => {
      const g = resolvePermission(perm, namespace, `spec.grants[${i}]`, refProblems);
      if (g) addScopes(permissions, g);
    });
    spec.roles.forEach((ref, i) => {
      const where = `spec.roles[${i}]`;
      const role = resolveRole(ref, namespace, where, refProblems, usedRoles);
      for (const g of reaching(role, namespace, where, refProblems)) addScopes(permissions, g);
    });

    const compiled: CompiledClient = {
      clientId,
      namespace,
      name,
      grantTypes: new Set(spec.grantTypes),
      authMethod: method,
      secretDigests:
        presents === 'sent' && secret !== undefined && secretCondition?.from !== undefined
          ? [digestSecretOf(secretCondition.from, secret)]
          : [],
      ...(presents === 'sent' &&
      secret !== undefined &&
      previousSecret !== undefined &&
      secretCondition?.from !== undefined
        ? {
            previousSecretDigest: {
              value: digestSecretOf(secretCondition.from, previousSecret.value),
              validUntilMs: previousSecret.validUntilMs,
            },
          }
        : {}),
      ...(assertionKeys !== undefined ? { assertionKeys } : {}),
      ...assertionLifetimeOf(spec),
      federatedIdentities,
      organizationUsage: spec.organizationUsage,
      permissions: toGrants(permissions, apisInForce),
      organizations: NO_ORGANIZATIONS,
    };
    const serves =
      compiled.secretDigests.length > 0 ||
      compiled.assertionKeys !== undefined ||
      (method === 'private_key_jwt' && !ownKeys && federatedIdentities.length > 0);
    const extraConditions = [referencesCondition(refProblems)];
    if (secretCondition) extraConditions.push(secretCondition.condition);
    // A private_key_jwt client has no Secret, so its status names none.
    const status = sharedSecret ? { clientId, secretName, ...secretCondition?.rotationStatus } : { clientId };
    const resolution = record(decl, [...problems, ...refProblems], status, extraConditions);
    return {
      decl,
      objectKey: names.objectKey,
      clientId,
      secretName,
      key: names.key,
      secretKey: names.secretKey,
      secret: secretData,
      roles: usedRoles,
      ...(serves ? { client: compiled } : {}),
      resolution,
    };
  };

  // OAuthClients in claim order (src/store/claims.ts): a client id belongs to the oldest client claiming it.
  const clients = new Map<string, CompiledClient>();
  const clientByKey = new Map<string, { client: CompiledClient; decl: DeclaredOAuthClient }>();
  const clientIdHolder = new Map<string, DeclaredOAuthClient>();
  const clientEntries = new Map<DeclaredOAuthClient, ClientEntry>();
  const clientDecls = byKind.OAuthClient;
  const order =
    memo !== undefined && sameClaimKeys(memo.clientOrder.decls, clientDecls)
      ? memo.clientOrder.byAge
      : claimOrder(clientDecls);
  for (const i of order) {
    const decl = clientDecls[i] as DeclaredOAuthClient;
    const before = memo?.clients.get(decl);
    const names = before ?? clientNames(decl);
    const { clientId, secretName } = names;
    const refused = claimClientId(decl, clientId, clientIdHolder);
    if (refused) {
      record(decl, [refused], { clientId, secretName });
      continue;
    }
    const secretData = inputs.secrets.get(names.secretKey);
    let entry: ClientEntry;
    if (
      reuse !== undefined &&
      before !== undefined &&
      before.secret === secretData &&
      sameRoles(before.roles, roles)
    ) {
      entry = before;
      resolutions.set(entry.objectKey, entry.resolution);
    } else {
      entry = compileClient(names, secretData);
    }
    clientEntries.set(decl, entry);
    if (entry.client !== undefined) {
      clients.set(clientId, entry.client);
      clientByKey.set(entry.key, { client: entry.client, decl });
    }
  }

  // ResourceServers, now that the clients are known: who may introspect their tokens. The reference follows
  // the usual opt-in, seen from the client: its allowedNamespaces must select the API's namespace, so no
  // team can make another team's client read its tokens, nor enlist it without consent.
  for (const { rs, problems, introspectors } of compiledApis.problems) {
    const { namespace } = rs.metadata;
    const refProblems: Problem[] = [];
    // A reused API holds the set it was compiled with: only an equal one lets it stay as it is.
    const found = reuse === undefined && introspectors !== undefined ? introspectors : new Set<string>();
    rs.spec.introspection?.clients.forEach((ref, i) => {
      const ns = ref.namespace ?? namespace;
      const target = clientByKey.get(secretKey(ns, ref.name));
      const where = `spec.introspection.clients[${i}]`;
      const label = describe('OAuthClient', ns, ref.name);
      if (!target) {
        refProblems.push({
          reason: Reason.ReferenceNotFound,
          message: `${where}: ${label} not found or not ready`,
        });
      } else if (!allowed(target.decl, namespace)) {
        refProblems.push({
          reason: Reason.ReferenceNotAllowed,
          message: `${where}: ${label} does not allow references from namespace ${namespace} (its spec.allowedNamespaces)`,
        });
      } else {
        found.add(target.client.clientId);
      }
    });
    if (introspectors !== undefined && found !== introspectors && !sameSet(found, introspectors)) {
      // Who may introspect an API changed: its CompiledApi, and every grant naming it, is compiled anew.
      return compile(inputs, keys, version);
    }
    const more = rs.spec.introspection === undefined ? [] : [referencesCondition(refProblems)];
    record(rs, [...problems, ...refProblems], {}, more);
  }

  // Organizations: attach each to the clients it lists, with its extra roles. A member's snapshot entry is a
  // copy of its compiled client with its organizations, so a reused client is never changed.
  const organizations = new Map<string, CompiledOrganization>();
  const memberships = new Map<CompiledClient, Map<string, ClientOrganization>>();
  const orgNames = new Map<string, DeclaredObject>();
  for (const k of claimOrder(byKind.Organization)) {
    const decl = byKind.Organization[k] as DeclaredOrganization;
    const { namespace, name } = decl.metadata;
    const nameTaken = claimOrganizationName(decl, orgNames);
    if (nameTaken) {
      record(decl, [nameTaken]);
      continue;
    }
    const org: CompiledOrganization = {
      id: organizationId(namespace, name),
      name,
      namespace,
      ...(decl.spec.displayName !== undefined ? { displayName: decl.spec.displayName } : {}),
    };
    organizations.set(org.id, org);
    const problems: Problem[] = [];
    decl.spec.clients.forEach((entry, i) => {
      const ns = entry.client.namespace ?? namespace;
      const target = clientByKey.get(secretKey(ns, entry.client.name));
      const label = describe('OAuthClient', ns, entry.client.name);
      if (!target) {
        problems.push({
          reason: Reason.ReferenceNotFound,
          message: `spec.clients[${i}]: ${label} not found or not ready`,
        });
        return;
      }
      if (!allowed(target.decl, namespace)) {
        problems.push({
          reason: Reason.ReferenceNotAllowed,
          message: `spec.clients[${i}]: ${label} does not allow references from namespace ${namespace} (its spec.allowedNamespaces)`,
        });
        return;
      }
      const inOrg = new Map<string, Set<string>>();
      for (const [id, g] of target.client.permissions) inOrg.set(id, new Set(g.scopes));
      (entry.roles ?? []).forEach((ref, j) => {
        const where = `spec.clients[${i}].roles[${j}]`;
        const role = resolveRole(ref, namespace, where, problems);
        for (const g of reaching(role, ns, where, problems, label)) addScopes(inOrg, g);
      });
      const membership: ClientOrganization = { organization: org, permissions: toGrants(inOrg, apisInForce) };
      const orgs = memberships.get(target.client) ?? new Map<string, ClientOrganization>();
      orgs.set(org.id, membership);
      memberships.set(target.client, orgs);
    });
    decl.spec.connections.forEach((ref, i) => {
      const ns = ref.namespace ?? namespace;
      const target = byKind.Connection.find(
        (c) => c.metadata.namespace === ns && c.metadata.name === ref.name,
      );
      const label = describe('Connection', ns, ref.name);
      if (!target)
        problems.push({
          reason: Reason.ReferenceNotFound,
          message: `spec.connections[${i}]: ${label} not found`,
        });
      else if (!allowed(target, namespace))
        problems.push({
          reason: Reason.ReferenceNotAllowed,
          message: `spec.connections[${i}]: ${label} does not allow references from namespace ${namespace} (its spec.allowedNamespaces)`,
        });
    });
    record(decl, problems, { organizationId: org.id }, [referencesCondition(problems)]);
  }
  for (const [client, orgs] of memberships) clients.set(client.clientId, { ...client, organizations: orgs });

  const compiledConnections =
    reuse?.connections ?? compileConnections(byKind.Connection, inputs.connectionChecks);
  for (const [key, r] of compiledConnections.resolutions) resolutions.set(key, r);
  const { connections, connectionsByIssuer } = compiledConnections;

  for (const bad of inputs.invalid ?? []) {
    record({ kind: bad.kind, metadata: bad.metadata } as DeclaredObject, [
      { reason: Reason.InvalidSpec, message: bad.message },
    ]);
  }

  return {
    snapshot: { version, clients, apis, organizations, connections, connectionsByIssuer, keys },
    resolutions,
    reusable: {
      base,
      apis: compiledApis,
      roles,
      clients: clientEntries,
      clientOrder: { decls: clientDecls, byAge: order },
      connections: compiledConnections,
    },
  };
}

/** The ResourceServers: the oldest declaration of an identifier wins. */
function compileApis(declared: readonly DeclaredResourceServer[]): CompiledApis {
  const apis = new Map<string, CompiledApi>();
  const apiByKey = new Map<string, { api: CompiledApi; decl: DeclaredResourceServer }>();
  const problemsOf: CompiledApis['problems'] = [];
  for (const rs of [...declared].sort(compareClaims)) {
    const problems: Problem[] = [];
    const holder = apis.get(rs.spec.identifier);
    const lifetimeMs = parseDuration(rs.spec.accessToken.lifetime);
    const lifetimeSeconds = lifetimeMs === undefined ? NaN : Math.floor(lifetimeMs / 1000);
    if (holder) {
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
      };
      apis.set(api.identifier, api);
      apiByKey.set(secretKey(api.namespace, api.name), { api, decl: rs });
      problemsOf.push({ rs, problems, introspectors });
      continue;
    }
    problemsOf.push({ rs, problems });
  }
  return { apis, apiByKey, problems: problemsOf };
}

/** The Connections, with the keys of each one's last passing issuer check. */
function compileConnections(
  declared: readonly DeclaredConnection[],
  checks: ReadonlyMap<string, ConnectionCheck> | undefined,
): CompiledConnections {
  const connections = new Map<string, CompiledConnection>();
  const connectionsByIssuer = new Map<string, CompiledConnection[]>();
  const resolutions: [ObjectKey, Resolution][] = [];
  for (const decl of declared) {
    const { namespace, name } = decl.metadata;
    const check = checks?.get(secretKey(namespace, name));
    const found = check?.ok === true ? check : check?.lastGood;
    // The keys of the last passing check; a key that does not parse is skipped like one of a jwksUri.
    const connectionKeys: ClientKey[] = [];
    for (const jwk of found?.jwks ?? []) {
      const parsed = parseClientKey(jwk);
      if (parsed.ok) connectionKeys.push(parsed.key);
    }
    const issuer = found?.issuer ?? decl.spec.issuer;
    const connection: CompiledConnection = {
      namespace,
      name,
      type: decl.spec.type,
      ...(issuer !== undefined ? { issuer } : {}),
      keys: connectionKeys,
    };
    connections.set(secretKey(namespace, name), connection);
    if (found !== undefined && connectionKeys.length > 0) {
      connectionsByIssuer.set(found.issuer, [...(connectionsByIssuer.get(found.issuer) ?? []), connection]);
    }
    const extra = check?.ok === true ? { issuer: check.issuer, jwksUri: check.jwksUri } : {};
    resolutions.push([
      objectKey('Connection', namespace, name),
      resolutionOf(decl, [], extra, [issuerCondition(check)]),
    ]);
  }
  return { connections, connectionsByIssuer, resolutions };
}

/** What becomes of an object with these problems and conditions: Ready first, then the specific ones. */
function resolutionOf(
  o: DeclaredObject,
  problems: readonly Problem[],
  extra: Partial<Resolution>,
  more: readonly ConditionDecision[],
): Resolution {
  const ready = problems.length === 0 && more.every((c) => c.status === 'True');
  const firstFailing = more.find((c) => c.status !== 'True');
  const conditions: ConditionDecision[] = [
    ready
      ? IN_EFFECT[o.kind]
      : {
          type: ConditionType.Ready,
          status: firstFailing?.status === 'Unknown' && problems.length === 0 ? 'Unknown' : 'False',
          reason: (problems[0]?.reason ?? firstFailing?.reason) as ReasonName,
          message: readyMessage(problems, more),
        },
    ...more,
  ];
  return {
    kind: o.kind,
    namespace: o.metadata.namespace,
    name: o.metadata.name,
    ...(o.metadata.generation !== undefined ? { generation: o.metadata.generation } : {}),
    ready,
    conditions,
    ...extra,
  };
}

/** Organizations a client belongs to when none lists it: one shared empty map. */
const NO_ORGANIZATIONS: ReadonlyMap<string, ClientOrganization> = new Map();

function addScopes(into: Map<string, Set<string>>, g: { api: CompiledApi; scopes: readonly string[] }): void {
  const set = into.get(g.api.identifier) ?? new Set<string>();
  for (const s of g.scopes) set.add(s);
  into.set(g.api.identifier, set);
}

function sameBase(a: BaseInputs, b: BaseInputs): boolean {
  return (
    a.addressPolicy === b.addressPolicy &&
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

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

/** Whether every Role a client read is still the entry it read (or still missing). */
function sameRoles(used: ClientEntry['roles'], roles: ReadonlyMap<string, RoleEntry>): boolean {
  for (let i = 0; i < used.length; i++) {
    const [key, entry] = used[i] as ClientEntry['roles'][number];
    if (roles.get(key) !== entry) return false;
  }
  return true;
}

function clientNames(decl: DeclaredOAuthClient): ClientNames {
  const { namespace, name } = decl.metadata;
  const secretName = secretNameOf(decl);
  return {
    decl,
    objectKey: objectKey('OAuthClient', namespace, name),
    clientId: decl.spec.clientId ?? defaultClientId(namespace, name),
    secretName,
    key: secretKey(namespace, name),
    secretKey: secretKey(namespace, secretName),
  };
}

/** Every problem once: the specific conditions often restate problems already listed. */
function readyMessage(problems: readonly Problem[], more: readonly ConditionDecision[]): string {
  const parts = problems.map((p) => p.message);
  for (const c of more) {
    if (c.status !== 'True' && !c.message.split('; ').every((m) => parts.includes(m))) parts.push(c.message);
  }
  return parts.join('; ');
}

function issuerCondition(check: ConnectionCheck | undefined): ConditionDecision {
  if (check === undefined) {
    return {
      type: ConditionType.IssuerVerified,
      status: 'Unknown',
      reason: Reason.DiscoveryNotChecked,
      message: 'the issuer has not been contacted yet; the operator verifies discovery and keys',
    };
  }
  return check.ok
    ? {
        type: ConditionType.IssuerVerified,
        status: 'True',
        reason: Reason.IssuerVerified,
        message: `discovery and ${check.keys} signing keys found at ${check.issuer}`,
      }
    : {
        type: ConditionType.IssuerVerified,
        status: 'False',
        reason: Reason.IssuerUnreachable,
        message:
          check.lastGood === undefined
            ? check.message
            : `${check.message}; tokens signed with the keys found earlier are still accepted`,
      };
}

/** The conditions most objects have, shared: thousands of identical objects on every rebuild cost GC time. */
const IN_EFFECT: Readonly<Record<DeclaredObject['kind'], ConditionDecision>> = Object.fromEntries(
  (['ResourceServer', 'Role', 'OAuthClient', 'Organization', 'Connection'] as const).map((kind) => [
    kind,
    Object.freeze({
      type: ConditionType.Ready,
      status: 'True',
      reason: Reason.Reconciled,
      message: `${kind} is in effect`,
    }),
  ]),
) as Record<DeclaredObject['kind'], ConditionDecision>;

const REFERENCES_RESOLVED: ConditionDecision = Object.freeze({
  type: ConditionType.ReferencesResolved,
  status: 'True',
  reason: Reason.Reconciled,
  message: 'all references resolved',
});

function referencesCondition(problems: readonly Problem[]): ConditionDecision {
  return problems.length === 0
    ? REFERENCES_RESOLVED
    : {
        type: ConditionType.ReferencesResolved,
        status: 'False',
        reason: (problems[0] as Problem).reason,
        message: problems.map((p) => p.message).join('; '),
      };
}

/**
 * The public keys of a `private_key_jwt` client: the inline JWK Set parsed now, so a bad key is reported
 * on the object instead of failing requests, or the `jwksUri` the token endpoint fetches keys from.
 */
function publicKeysOf(
  spec: OAuthClientSpec,
  problems: Problem[],
  policy: AddressPolicy | undefined,
): AssertionKeys | undefined {
  if (spec.jwksUri !== undefined && spec.jwks === undefined) {
    const refused = jwksUriProblem(spec.jwksUri, policy);
    if (refused === undefined) return { kind: 'jwksUri', uri: spec.jwksUri };
    problems.push({
      reason: Reason.InvalidClientKeys,
      message: `spec.jwksUri: Latchkey will not fetch it: ${refused}`,
    });
    return undefined;
  }
  if (spec.jwks === undefined || spec.jwksUri !== undefined) {
    problems.push({
      reason: Reason.InvalidClientKeys,
      message: 'spec.jwks: private_key_jwt needs exactly one of spec.jwks and spec.jwksUri',
    });
    return undefined;
  }
  const keys: ClientKey[] = [];
  const before = problems.length;
  spec.jwks.keys.forEach((jwk, i) => {
    const parsed = parseClientKey(jwk);
    if (parsed.ok) keys.push(parsed.key);
    else {
      problems.push({
        reason: Reason.InvalidClientKeys,
        message: `spec.jwks.keys[${i}]: cannot verify assertions: ${parsed.message}`,
      });
    }
  });
  // One bad key fails the client: serving the others would hide a mistake until that key is needed.
  return problems.length === before ? { kind: 'jwks', keys } : undefined;
}

/** What a generated Secret says about its rotation, for one client's schedule (see rotationOf). */
interface RotationMemo {
  interval: string | undefined;
  hasPrevious: boolean;
  annotations: SecretData['annotations'];
  creationTimestamp: string | undefined;
  times: RotationTimes;
  status: Partial<Resolution>;
}

const rotations = new WeakMap<SecretData, RotationMemo>();

const NO_ROTATION: RotationMemo = Object.freeze({
  interval: undefined,
  hasPrevious: false,
  annotations: undefined,
  creationTimestamp: undefined,
  times: Object.freeze({}),
  status: Object.freeze({}),
});

/**
 * The rotation times of a generated Secret and the status fields that show them, parsed once per decoded
 * Secret (the operator hands the store the same SecretData while the Secret is unchanged) instead of once per
 * client on every rebuild. The memo is checked against everything the result depends on, so it never answers
 * for other inputs.
 */
function rotationOf(
  rotation: { interval?: string | undefined } | undefined,
  secret: SecretData,
  hasPrevious: boolean,
): RotationMemo {
  const interval = rotation?.interval;
  const annotations = secret.annotations;
  // Most Secrets never rotated and rotate on request only: nothing to parse, nothing to remember.
  if (
    interval === undefined &&
    (annotations === undefined ||
      (annotations[SECRET_ROTATION_ANNOTATIONS.rotatedAt] === undefined &&
        annotations[SECRET_ROTATION_ANNOTATIONS.previousValidUntil] === undefined))
  )
    return NO_ROTATION;
  const hit = rotations.get(secret);
  if (
    hit !== undefined &&
    hit.interval === interval &&
    hit.hasPrevious === hasPrevious &&
    hit.annotations === secret.annotations &&
    hit.creationTimestamp === secret.creationTimestamp
  )
    return hit;
  const times = rotationTimesOf(rotation, {
    annotations: secret.annotations,
    creationTimestamp: secret.creationTimestamp,
    hasPrevious,
  });
  const memo: RotationMemo = {
    interval,
    hasPrevious,
    annotations: secret.annotations,
    creationTimestamp: secret.creationTimestamp,
    times,
    status: rotationStatus(times),
  };
  rotations.set(secret, memo);
  return memo;
}

function rotationStatus(times: RotationTimes): Partial<Resolution> {
  return {
    ...(times.rotatedAt !== undefined ? { secretRotatedAt: timeText(times.rotatedAt) } : {}),
    ...(times.previousValidUntil !== undefined
      ? { previousSecretValidUntil: timeText(times.previousValidUntil) }
      : {}),
    ...(times.nextRotationAt !== undefined ? { nextSecretRotationAt: timeText(times.nextRotationAt) } : {}),
  };
}

function secretConditionOf(
  decl: DeclaredOAuthClient,
  secretName: string,
  secret: SecretData | undefined,
): {
  condition: ConditionDecision;
  secret?: string;
  /** The secret the last rotation replaced, while the Secret holds it. */
  previous?: Expiring<string>;
  rotationStatus?: Partial<Resolution>;
  /** The decoded Secret the values come from: what derived values are remembered by. */
  from?: SecretData;
} {
  const { namespace } = decl.metadata;
  const { source, keys } = decl.spec.secret;
  const value = secret?.data[keys.clientSecret];
  const missing = (message: string): { condition: ConditionDecision } => ({
    condition: { type: ConditionType.SecretReady, status: 'False', reason: Reason.SecretMissing, message },
  });
  if (!secret) {
    return missing(
      source === 'Existing'
        ? `waiting for Secret ${namespace}/${secretName} to be written (spec.secret.source is Existing)`
        : `Secret ${namespace}/${secretName} has not been generated yet`,
    );
  }
  // A generated Secret counts only when this client owns it: a Secret someone placed under that name
  // beforehand must not become the client's credentials. Dev mode's files carry no owner.
  if (
    source === 'Generate' &&
    decl.metadata.uid !== undefined &&
    secret.controllerUid !== undefined &&
    secret.controllerUid !== decl.metadata.uid
  ) {
    return {
      condition: {
        type: ConditionType.SecretReady,
        status: 'False',
        reason: Reason.SecretNotOwned,
        message: `Secret ${namespace}/${secretName} belongs to another owner; delete it, or set spec.secret.name to another name, or spec.secret.source to Existing to use it`,
      },
    };
  }
  if (value === undefined || value === '') {
    return missing(`Secret ${namespace}/${secretName} has no key ${keys.clientSecret}`);
  }
  if (source === 'Existing' && value.length < MIN_EXISTING_SECRET_LENGTH) {
    return {
      condition: {
        type: ConditionType.SecretReady,
        status: 'False',
        reason: Reason.SecretTooWeak,
        message: `the secret in Secret ${namespace}/${secretName} key ${keys.clientSecret} is shorter than ${MIN_EXISTING_SECRET_LENGTH} characters; write a longer random value`,
      },
    };
  }
  const condition: ConditionDecision = {
    type: ConditionType.SecretReady,
    status: 'True',
    reason: Reason.SecretAvailable,
    message: `credentials are in Secret ${namespace}/${secretName}`,
  };
  // Only a Secret Latchkey generated carries a previous secret: its annotations were written by the leader.
  if (source !== 'Generate') return { condition, secret: value, from: secret };
  const previousValue = secret.data[previousSecretKey(keys.clientSecret)];
  const hasPrevious = previousValue !== undefined && previousValue !== '';
  const { times, status } = rotationOf(decl.spec.secret.rotation, secret, hasPrevious);
  return {
    condition,
    secret: value,
    rotationStatus: status,
    from: secret,
    ...(hasPrevious && times.previousValidUntil !== undefined
      ? { previous: { value: previousValue, validUntilMs: times.previousValidUntil } }
      : {}),
  };
}

function toGrants(
  perms: ReadonlyMap<string, ReadonlySet<string>>,
  apis: ReadonlyMap<string, CompiledApi>,
): Map<string, Grant> {
  const out = new Map<string, Grant>();
  for (const [identifier, set] of perms) {
    const api = apis.get(identifier) as CompiledApi;
    const scopes = api.scopes.filter((s) => set.has(s));
    out.set(identifier, { api, scopes, scopeSet: new Set(scopes) });
  }
  return out;
}
