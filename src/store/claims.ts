/**
 * Who holds a contested name: an API identifier, a client id, an organization name. Issue 9: a newcomer never
 * takes over a name in use, whatever it writes into its manifest.
 *
 * The order of claimants, first wins:
 * 1. the older `metadata.creationTimestamp`: set by the API server in a cluster and by the first-seen record of
 *    the state folder in dev mode (src/dev/first-seen.ts), never by the manifest's author;
 * 2. within the same second (the API server's precision), the object whose status says it holds its name
 *    (`claimHeld`): the one already in use keeps it across operator restarts;
 * 3. then the smaller `metadata.uid`, so every replica and every restart decides the same;
 * 4. then input order (dev mode: objects first seen in the same load, in file path order).
 */
import type { DeclaredObject, DeclaredOAuthClient } from './objects.ts';
import { Reason, type Problem } from './reasons.ts';

/** Negative when `a` has the stronger claim; 0 when only input order can tell them apart. */
export function compareClaims(a: DeclaredObject, b: DeclaredObject): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ha = a.claimHeld === true;
  if (ha !== (b.claimHeld === true)) return ha ? -1 : 1;
  const ua = a.metadata.uid ?? '';
  const ub = b.metadata.uid ?? '';
  if (ua !== ub) return ua < ub ? -1 : 1;
  return 0;
}

/** Indexes of `decls` in claim order; ties keep input order. */
export function claimOrder(decls: readonly DeclaredObject[]): number[] {
  return decls
    .map((_, i) => i)
    .sort((i, j) => compareClaims(decls[i] as DeclaredObject, decls[j] as DeclaredObject) || i - j);
}

/** Whether `claimOrder` of both lists is the same: at each index the same object, or the same claim keys. */
export function sameClaimKeys(a: readonly DeclaredObject[], b: readonly DeclaredObject[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as DeclaredObject;
    const y = b[i] as DeclaredObject;
    if (
      x !== y &&
      (x.metadata.creationTimestamp !== y.metadata.creationTimestamp ||
        (x.claimHeld === true) !== (y.claimHeld === true) ||
        x.metadata.uid !== y.metadata.uid)
    )
      return false;
  }
  return true;
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The namespace whose default client ids (`<name>.<namespace>`) have the shape of `clientId`, or undefined
 * when no default id can look like it.
 * @example defaultIdNamespace('payments.team-b') // 'team-b'
 */
export function defaultIdNamespace(clientId: string): string | undefined {
  const dot = clientId.lastIndexOf('.');
  if (dot <= 0) return undefined;
  const name = clientId.slice(0, dot);
  const namespace = clientId.slice(dot + 1);
  if (name.length > 253 || namespace.length > 63) return undefined;
  return DNS_SUBDOMAIN.test(name) && DNS_LABEL.test(namespace) ? namespace : undefined;
}

/**
 * Why `decl` may not have `clientId`, or undefined after recording it as the holder in `holders`. Called in
 * claim order. A custom id of another namespace's default shape is refused before it can hold anything, so
 * that namespace's client of that name gets its default id whenever it comes.
 */
export function claimClientId(
  decl: DeclaredOAuthClient,
  clientId: string,
  holders: Map<string, DeclaredOAuthClient>,
): Problem | undefined {
  const { namespace } = decl.metadata;
  const owner = decl.spec.clientId === undefined ? namespace : defaultIdNamespace(clientId);
  if (owner !== undefined && owner !== namespace) {
    return {
      reason: Reason.ClientIdNotAllowed,
      message: `spec.clientId ${clientId} has the shape <name>.<namespace> of the default client ids of namespace ${owner} (a custom client id may end in .${namespace}, or have another shape)`,
    };
  }
  const holder = holders.get(clientId);
  if (holder !== undefined) {
    return {
      reason: Reason.ClientIdConflict,
      message: `client id ${clientId} is already used by OAuthClient ${holder.metadata.namespace}/${holder.metadata.name}`,
    };
  }
  holders.set(clientId, decl);
  return undefined;
}

/** Reasons that say an object does not hold the name it claims. */
const LOST: ReadonlySet<string> = new Set([
  Reason.IdentifierConflict,
  Reason.ClientIdConflict,
  Reason.ClientIdNotAllowed,
  Reason.OrganizationNameConflict,
]);

/**
 * Whether an object's Ready condition (a resolution, or a status as written) leaves it holding its name:
 * it is compiled and did not lose a claim. The operator writes a client's Secret only then.
 */
export function holdsItsName(
  status: { conditions?: readonly { type: string; reason: string }[] } | undefined,
): boolean {
  const ready = status?.conditions?.find((c) => c.type === 'Ready');
  return ready !== undefined && !LOST.has(ready.reason);
}

/** The OAuthClients that hold their client id (dev mode writes Secrets for these alone). */
export function clientIdHolders(
  clients: readonly DeclaredOAuthClient[],
  clientIdOf: (decl: DeclaredOAuthClient) => string,
): Set<DeclaredOAuthClient> {
  const holders = new Map<string, DeclaredOAuthClient>();
  for (const i of claimOrder(clients)) {
    const decl = clients[i] as DeclaredOAuthClient;
    claimClientId(decl, clientIdOf(decl), holders);
  }
  return new Set(holders.values());
}

/**
 * Why an Organization may not have its name as `org_name`, or undefined after recording it in `holders`.
 * Called in claim order: names are unique across namespaces, so an API that reads `org_name` is not fooled
 * by a tenant's own Organization of the same name.
 */
export function claimOrganizationName(
  decl: DeclaredObject,
  holders: Map<string, DeclaredObject>,
): Problem | undefined {
  const { name } = decl.metadata;
  const holder = holders.get(name);
  if (holder !== undefined) {
    return {
      reason: Reason.OrganizationNameConflict,
      message: `org_name ${name} is already used by Organization ${holder.metadata.namespace}/${holder.metadata.name}`,
    };
  }
  holders.set(name, decl);
  return undefined;
}
