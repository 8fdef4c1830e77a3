import { claimClientId } from '../claims.ts';
import type { DeclaredOAuthClient, ObjectKey, SecretData } from '../objects.ts';
import { objectKey, secretKey } from '../objects.ts';
import { defaultClientId, secretNameOf } from '../names.ts';
import type { CompiledClient } from '../snapshot.ts';
import { compileClient, type ClientScope } from './client.ts';
import { resolutionOf, type Resolution, type Resolved } from './conditions.ts';
import type { RefTargets } from './resolve-ref.ts';
import type { CompiledRoles, RoleEntry } from './roles.ts';

/** What follows from an OAuthClient's declaration alone, kept so that a reused client costs no string building. */
export interface ClientNames {
  decl: DeclaredOAuthClient;
  objectKey: ObjectKey;
  clientId: string;
  secretName: string;
  /** `namespace/name` of the client, and of its Secret. */
  key: string;
  secretKey: string;
}

/** One OAuthClient's result before organizations attach, with everything it was compiled from. */
export interface ClientEntry extends ClientNames {
  secret: SecretData | undefined;
  /** The Role entries its `spec.roles` resolved to, by `namespace/name`; undefined when not found. */
  roles: readonly (readonly [string, RoleEntry | undefined])[];
  /** Absent when the client cannot authenticate, so the snapshot does not hold it. */
  client?: CompiledClient;
  resolution: Resolution;
}

/** A client in the snapshot, with the declaration references to it are checked against. */
export interface ServingClient {
  client: CompiledClient;
  decl: DeclaredOAuthClient;
}

/** What the previous compile may give this one (./reuse.ts decides). */
export interface ClientReuse {
  /** Indexes of the declarations in claim order (src/store/claims.ts). */
  order: readonly number[];
  /** The previous entry of this very declaration, if any: its names hold whatever else changed. */
  before: (decl: DeclaredOAuthClient) => ClientEntry | undefined;
  /** Whether that entry may be taken as it is: everything it read is still the same. */
  holds: (before: ClientEntry, secret: SecretData | undefined, roles: CompiledRoles) => boolean;
}

export interface CompiledClients {
  /** By client id, in claim order: the snapshot's clients before organizations attach. */
  clients: Map<string, CompiledClient>;
  /** By `namespace/name`, the clients in the snapshot. */
  byKey: Map<string, ServingClient>;
  entries: Map<DeclaredOAuthClient, ClientEntry>;
  order: readonly number[];
  resolved: Resolved[];
}

/**
 * The OAuthClients in claim order (src/store/claims.ts): a client id belongs to the oldest client claiming
 * it; a client whose entry still holds is taken as it was.
 */
export function compileClients(
  declared: readonly DeclaredOAuthClient[],
  secrets: ReadonlyMap<string, SecretData>,
  scope: ClientScope,
  reuse: ClientReuse,
): CompiledClients {
  const clients = new Map<string, CompiledClient>();
  const byKey = new Map<string, ServingClient>();
  const holders = new Map<string, DeclaredOAuthClient>();
  const entries = new Map<DeclaredOAuthClient, ClientEntry>();
  const resolved: Resolved[] = [];
  for (const i of reuse.order) {
    const decl = declared[i] as DeclaredOAuthClient;
    const before = reuse.before(decl);
    const names = before ?? clientNames(decl);
    const refused = claimClientId(decl, names.clientId, holders);
    if (refused) {
      const { clientId, secretName } = names;
      resolved.push({
        objectKey: names.objectKey,
        resolution: resolutionOf(decl, [refused], { clientId, secretName }),
      });
      continue;
    }
    const secret = secrets.get(names.secretKey);
    const entry =
      before !== undefined && reuse.holds(before, secret, scope.roles)
        ? before
        : compileClient(names, secret, scope);
    entries.set(decl, entry);
    resolved.push(entry);
    if (entry.client !== undefined) {
      clients.set(entry.clientId, entry.client);
      byKey.set(entry.key, { client: entry.client, decl });
    }
  }
  return { clients, byKey, entries, order: reuse.order, resolved };
}

/** OAuthClients as reference targets: only those in the snapshot. */
export function clientTargets(compiled: CompiledClients): RefTargets<ServingClient> {
  return {
    kind: 'OAuthClient',
    get: (key) => compiled.byKey.get(key),
    referable: (c) => c.decl,
    mayBeNotReady: true,
  };
}

export function clientNames(decl: DeclaredOAuthClient): ClientNames {
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
