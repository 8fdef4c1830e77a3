import type { LoadedManifests } from '../manifests/parse.ts';
import { DEFAULT_LATCHKEY_NAMESPACE } from '../management/scopes.ts';
import { SHARED_SECRET_METHODS } from '../api/protocol-capabilities.ts';
import { secretNameOf } from '../store/names.ts';
import { secretKey, type DeclaredObject, type SecretData, type WorldInputs } from '../store/objects.ts';
import { MIN_EXISTING_SECRET_LENGTH } from '../store/secrets.ts';

/** The built-in management API's identifier offline, where there is no issuer: nothing declares it. */
const OFFLINE_MANAGEMENT_API = 'urn:latchkey:offline:management-api';

/** Owner of the Secrets declared in the files: one that Git holds has no ownerReference to any client. */
const NO_OWNER = 'offline:no-owner';

// Stands in for a secret no file holds: the operator generates it (Generate) or someone else writes it
// (Existing). Long enough to count as strong; it never leaves this process.
const PLACEHOLDER_SECRET = 'x'.repeat(MIN_EXISTING_SECRET_LENGTH);

/**
 * The world the store would compile once these files are applied to a cluster, as far as files can tell:
 * the declared objects, the Namespaces' labels, and the Secrets the clients will find. A client's Secret (or
 * the Secret of a Connection's `clientSecretRef`) that no file declares counts as written, so that only what
 * the files get wrong is reported; a Secret that a file declares under the name of a generated one is not the
 * client's own, as in the cluster.
 */
export function offlineWorld(loaded: LoadedManifests): WorldInputs {
  // compile() checks a generated Secret's owner by uid; objects read from files have none yet. A uid also
  // breaks ties of creation time (src/store/claims.ts): these sort in file order, as dev mode's first load.
  const objects: DeclaredObject[] = loaded.objects.map((o, i) => ({
    ...o,
    metadata: {
      ...o.metadata,
      uid: `offline:${String(i).padStart(9, '0')}:${o.kind}/${o.metadata.namespace}/${o.metadata.name}`,
    },
  }));
  const secrets = new Map<string, SecretData>(
    loaded.secrets.map((s) => [secretKey(s.namespace, s.name), { ...s, controllerUid: NO_OWNER }]),
  );
  for (const o of objects) {
    if (o.kind !== 'OAuthClient' || !SHARED_SECRET_METHODS.has(o.spec.tokenEndpointAuthMethod)) continue;
    const name = secretNameOf(o);
    const key = secretKey(o.metadata.namespace, name);
    if (secrets.has(key)) continue;
    secrets.set(key, {
      namespace: o.metadata.namespace,
      name,
      data: { [o.spec.secret.keys.clientSecret]: PLACEHOLDER_SECRET },
      ...(o.metadata.uid !== undefined ? { controllerUid: o.metadata.uid } : {}),
    });
  }
  for (const o of objects) {
    const ref = o.kind === 'Connection' ? o.spec.clientSecretRef : undefined;
    const key = ref === undefined ? undefined : secretKey(o.metadata.namespace, ref.name);
    if (ref === undefined || key === undefined || secrets.has(key)) continue;
    secrets.set(key, {
      namespace: o.metadata.namespace,
      name: ref.name,
      data: { [ref.key]: PLACEHOLDER_SECRET },
    });
  }
  return {
    objects,
    secrets,
    namespaces: new Map(loaded.namespaces.map((n) => [n.name, n.labels])),
    // Judged as dev mode judges them; validate warns that the operator refuses them (./dev-only.ts).
    allowTestConnections: true,
    // Grants and Roles may name it as in the cluster; the issuer, part of its identifier, is not known here.
    managementApi: { namespace: DEFAULT_LATCHKEY_NAMESPACE, identifier: OFFLINE_MANAGEMENT_API },
  };
}
