import type { Informer, KubeObject } from '../kube/types.ts';
import type { DeclaredObject, InvalidObject, SecretData } from '../store/objects.ts';
import type { DeclaredCache, KindInformers } from './declared-cache.ts';
import type { ReferencedSecrets } from './referenced-secrets.ts';

/** The informers the world is built from. */
export type WorldInformers = KindInformers & {
  secrets: Informer<KubeObject>;
  namespaces: Informer<KubeObject>;
};

/** What the store compiles, read from the caches, and what changed since the last read. */
export interface GatheredWorld {
  objects: DeclaredObject[];
  invalid: InvalidObject[];
  /** Keyed by `namespace/name`: the Secrets OAuthClients and Connections name, decoded. */
  secrets: Map<string, SecretData>;
  namespaces: Map<string, Record<string, string>>;
  /** Keys (`kind/namespace/name`) of declared objects new or changed since the last gather. */
  changed: Set<string>;
  /** `namespace/name` of every Secret an OAuthClient or a Connection names. */
  referenced: Set<string>;
}

/** Gather: the declared world as the caches hold it now. Reads caches only (a stub Secret is fetched aside). */
export function gatherWorld(
  informers: WorldInformers,
  declared: DeclaredCache,
  secrets: ReferencedSecrets,
): GatheredWorld {
  const { objects, invalid, changed, referenced } = declared.read(informers);
  const data = secrets.gather(informers.secrets.list(), referenced);
  const namespaces = new Map<string, Record<string, string>>();
  for (const ns of informers.namespaces.list()) namespaces.set(ns.metadata.name, ns.metadata.labels ?? {});
  return { objects, invalid, secrets: data, namespaces, changed, referenced };
}
