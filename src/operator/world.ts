import { kindDefinition, type KindName } from '../api/kinds.ts';
import type { KubeObject } from '../kube/types.ts';
import type { DeclaredObject, InvalidObject, ObjectMeta, SecretData } from '../store/objects.ts';
import { holdsItsName } from '../store/claims.ts';

/** The metadata the store uses, taken from an object the API server returned. */
export function metaOf(o: KubeObject): ObjectMeta {
  const m = o.metadata;
  return {
    name: m.name,
    namespace: m.namespace ?? '',
    ...(m.uid !== undefined ? { uid: m.uid } : {}),
    ...(m.generation !== undefined ? { generation: m.generation } : {}),
    ...(m.resourceVersion !== undefined ? { resourceVersion: m.resourceVersion } : {}),
    ...(m.creationTimestamp !== undefined ? { creationTimestamp: m.creationTimestamp } : {}),
    ...(m.labels !== undefined ? { labels: m.labels } : {}),
    ...(m.annotations !== undefined ? { annotations: m.annotations } : {}),
  };
}

/**
 * Parses a custom resource's spec with the kind's schema (defaults, cross-field rules). The API server
 * validated it against the CRD already; a failure here means the installed CRD is older than this build.
 */
export function declaredFrom(kind: KindName, o: KubeObject): DeclaredObject | InvalidObject {
  const def = kindDefinition(kind);
  if (def === undefined) throw new Error(`unknown kind ${kind}`);
  const parsed = def.spec.safeParse(o['spec'] ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = ['spec', ...(issue?.path ?? [])].join('.');
    return {
      kind,
      metadata: metaOf(o),
      message: `${field}: ${issue?.message ?? 'invalid'} (is the installed CRD up to date?)`,
    };
  }
  const held = claimHeld(o);
  return {
    kind,
    metadata: metaOf(o),
    spec: parsed.data,
    ...(held ? { claimHeld: true } : {}),
  } as DeclaredObject;
}

/**
 * Whether the object's status, written for its current generation, says it holds its identifier, client id or
 * organization name: it breaks ties of creation time (src/store/claims.ts), so the one in use keeps it across
 * restarts. A status for an older generation says nothing about the spec in force.
 */
export function claimHeld(o: KubeObject): boolean {
  const status = o['status'] as { observedGeneration?: unknown; conditions?: unknown } | undefined;
  if (status?.observedGeneration === undefined || status.observedGeneration !== o.metadata.generation)
    return false;
  if (!Array.isArray(status.conditions)) return false;
  const conditions = status.conditions.filter(
    (c): c is { type: string; reason: string } =>
      typeof c === 'object' && c !== null && typeof c.type === 'string' && typeof c.reason === 'string',
  );
  return holdsItsName({ conditions });
}

/**
 * Decoded Secrets by the cached object they came from. An informer replaces an object on every change and
 * never edits one, so an unchanged Secret is decoded once, not on every rebuild, and the store sees the same
 * SecretData, which lets it reuse what it derived from it.
 */
const decoded = new WeakMap<KubeObject, SecretData>();

/** A Secret as the store sees it: data decoded to UTF-8. */
export function secretDataOf(o: KubeObject): SecretData {
  const hit = decoded.get(o);
  if (hit !== undefined) return hit;
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries((o['data'] ?? {}) as Record<string, string>)) {
    data[k] = Buffer.from(v, 'base64').toString('utf8');
  }
  const controller = o.metadata.ownerReferences?.find((r) => r.controller === true);
  const secret: SecretData = {
    namespace: o.metadata.namespace ?? '',
    name: o.metadata.name,
    data,
    ...(o.metadata.labels !== undefined ? { labels: o.metadata.labels } : {}),
    ...(o.metadata.annotations !== undefined ? { annotations: o.metadata.annotations } : {}),
    ...(o.metadata.creationTimestamp !== undefined
      ? { creationTimestamp: o.metadata.creationTimestamp }
      : {}),
    ...(controller !== undefined ? { controllerUid: controller.uid } : {}),
  };
  decoded.set(o, secret);
  return secret;
}
