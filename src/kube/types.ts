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

/** A metav1.Status: the body of a refused call and the object of a watch ERROR event. */
export interface KubeStatus {
  kind?: 'Status';
  status?: string;
  code?: number;
  reason?: string;
  message?: string;
}

/** One page of a list call. */
export interface ListPage<T extends KubeObject> {
  /** The items, each with `apiVersion` and `kind` filled in (the API server leaves them out of list items). */
  items: T[];
  /** The collection's resourceVersion: a watch from it sees every change after this list. */
  resourceVersion: string;
  /** Present when more pages follow: pass it as `continue` to get the next one. */
  continue?: string;
}

export interface ListPageOptions extends ListOptions {
  limit?: number;
  continue?: string;
}

export interface WatchOptions extends ListOptions {
  /** Changes after this resourceVersion are sent; one the server no longer has ends in 410 Gone. */
  resourceVersion: string;
  /** The server ends the stream after this long (the informer picks 5-10 minutes, as client-go). */
  timeoutSeconds?: number;
}

/** A watch event as the API server sends it; BOOKMARK carries only a resourceVersion, ERROR a Status. */
export type RawWatchEvent<T extends KubeObject> =
  { type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK'; object: T } | { type: 'ERROR'; object: KubeStatus };

/** Listing and watching, what an informer needs; errors as in KubeApi. */
export interface KubeListWatch {
  list<T extends KubeObject>(
    type: ResourceType,
    options?: ListPageOptions,
    signal?: AbortSignal,
  ): Promise<ListPage<T>>;
  /**
   * Opens a watch (with bookmarks). Resolves once the server accepted it, rejects with KubeApiError when it
   * refused (410 Gone included); the iterable ends when the server closes the stream and throws when the
   * connection breaks. Aborting `signal` closes it.
   */
  watch<T extends KubeObject>(
    type: ResourceType,
    options: WatchOptions,
    signal: AbortSignal,
  ): Promise<AsyncIterable<RawWatchEvent<T>>>;
}

/** The HTTP client of one API server: the calls, list and watch, and `close()` to end its connections. */
export interface KubeClient extends KubeApi, KubeListWatch {
  close(): Promise<void>;
}

export const CORE_SECRETS: ResourceType = { group: '', version: 'v1', plural: 'secrets', namespaced: true };
export const CORE_CONFIGMAPS: ResourceType = {
  group: '',
  version: 'v1',
  plural: 'configmaps',
  namespaced: true,
};
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
