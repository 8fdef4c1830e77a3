/** The parts of Kubernetes object metadata Latchkey reads and writes. */
export interface KubeMetadata {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: KubeMetadata;
  [field: string]: unknown;
}

/** A Kubernetes API error: HTTP status and the Status object's reason and message (never a Secret's data). */
export class KubeApiError extends Error {
  readonly code = 'LATCHKEY_KUBE_API';
  readonly status: number;
  readonly reason: string;

  constructor(status: number, reason: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.status = status;
    this.reason = reason;
  }
}

/** What one resource collection is: e.g. `{group: 'latchkey.dev', version: 'v1alpha1', plural: 'oauthclients'}`, core group ''. */
export interface ResourceType {
  group: string;
  version: string;
  plural: string;
  namespaced: boolean;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export type WatchEventType = 'added' | 'modified' | 'deleted';

export interface InformerEvent<T extends KubeObject> {
  type: WatchEventType;
  object: T;
  /** The cached object this event replaces (modified, deleted). */
  previous?: T;
}

/**
 * A cache of one resource collection kept current by list + watch (from the list's resourceVersion,
 * relisting on 410 Gone, reconnecting with backoff on errors).
 */
export interface Informer<T extends KubeObject> {
  /** Starts listing and watching until the signal aborts. */
  start(signal: AbortSignal): void;
  /** Resolves once the first list has been applied to the cache. */
  synced(): Promise<void>;
  hasSynced(): boolean;
  get(namespace: string | undefined, name: string): T | undefined;
  list(): T[];
  /** Subscribes to changes of the cache (including the initial list as `added`); returns an unsubscribe function. */
  on(handler: (event: InformerEvent<T>) => void): () => void;
}

/** The few calls the operator makes; every one throws KubeApiError on a non-2xx answer. */
export interface KubeApi {
  get<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
  ): Promise<T | undefined>;
  create<T extends KubeObject>(type: ResourceType, namespace: string | undefined, body: T): Promise<T>;
  /** JSON merge patch (RFC 7386); with `subresource: 'status'` it writes only status. */
  patch<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options?: { subresource?: 'status'; resourceVersion?: string },
  ): Promise<T>;
  /** Full replace with optimistic concurrency (metadata.resourceVersion must match). */
  replace<T extends KubeObject>(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: T,
  ): Promise<T>;
  delete(type: ResourceType, namespace: string | undefined, name: string): Promise<void>;
  /** GET of a non-resource path such as `/.well-known/openid-configuration`; parsed JSON. */
  getRaw(path: string): Promise<unknown>;
}

export const CORE_SECRETS: ResourceType = { group: '', version: 'v1', plural: 'secrets', namespaced: true };
export const CORE_NAMESPACES: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'namespaces',
  namespaced: false,
};
export const LEASES: ResourceType = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  namespaced: true,
};
export const EVENTS: ResourceType = {
  group: 'events.k8s.io',
  version: 'v1',
  plural: 'events',
  namespaced: true,
};
