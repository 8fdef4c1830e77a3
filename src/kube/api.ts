import type { KubeConnection } from './config.ts';
import { createTransport, type TransportOptions } from './http.ts';
import { resourcePath, withQuery } from './paths.ts';
import type {
  KubeClient,
  KubeObject,
  ListPage,
  ListPageOptions,
  RawWatchEvent,
  ResourceType,
  WatchOptions,
} from './types.ts';

const JSON_TYPE = 'application/json';
const MERGE_PATCH_TYPE = 'application/merge-patch+json';

/**
 * An HTTP client for the API server of `connection`: the KubeApi calls plus list and watch. One pool of
 * keep-alive connections; `close()` ends them.
 *
 * @example
 * const api = createKubeApi(loadKubeConfig({ kubeconfig }));
 * const secret = await api.get(CORE_SECRETS, 'billing', 'billing-worker-oauth');
 */
export function createKubeApi(connection: KubeConnection, options: TransportOptions = {}): KubeClient {
  const http = createTransport(connection, options);
  return {
    async get<T extends KubeObject>(type: ResourceType, namespace: string | undefined, name: string) {
      const path = resourcePath(type, namespace, name);
      return (await http.call('GET', path, { notFoundOk: true })) as T | undefined;
    },

    async create<T extends KubeObject>(type: ResourceType, namespace: string | undefined, body: T) {
      const path = resourcePath(type, namespace);
      return (await http.call('POST', path, { body, contentType: JSON_TYPE })) as T;
    },

    async patch<T extends KubeObject>(
      type: ResourceType,
      namespace: string | undefined,
      name: string,
      body: unknown,
      patchOptions: { subresource?: 'status'; resourceVersion?: string } = {},
    ) {
      const path = resourcePath(type, namespace, name, patchOptions.subresource);
      return (await http.call('PATCH', path, {
        body: withResourceVersion(body, patchOptions.resourceVersion),
        contentType: MERGE_PATCH_TYPE,
      })) as T;
    },

    async replace<T extends KubeObject>(
      type: ResourceType,
      namespace: string | undefined,
      name: string,
      body: T,
    ) {
      const path = resourcePath(type, namespace, name);
      return (await http.call('PUT', path, { body, contentType: JSON_TYPE })) as T;
    },

    async delete(type: ResourceType, namespace: string | undefined, name: string) {
      await http.call('DELETE', resourcePath(type, namespace, name));
    },

    async getRaw(path: string) {
      assertServerPath(path);
      return http.call('GET', path);
    },

    async list<T extends KubeObject>(
      type: ResourceType,
      listOptions: ListPageOptions = {},
      signal?: AbortSignal,
    ): Promise<ListPage<T>> {
      const list = await http.call('GET', listPath(type, listOptions), signal ? { signal } : {});
      return listPageFrom(list as RawList<T>);
    },

    async watch<T extends KubeObject>(type: ResourceType, watchOptions: WatchOptions, signal: AbortSignal) {
      return (await http.stream(watchPath(type, watchOptions), signal)) as AsyncIterable<RawWatchEvent<T>>;
    },

    close: () => http.close(),
  };
}

/** A list answer as the API server sends it. */
export interface RawList<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

/** getRaw reaches only paths on the API server itself: `//host` would name another origin. */
function assertServerPath(path: string): void {
  if (!path.startsWith('/') || path.startsWith('//')) {
    throw new TypeError(`getRaw needs an absolute path on the API server, got ${JSON.stringify(path)}`);
  }
}

function listPath(type: ResourceType, options: ListPageOptions): string {
  return withQuery(resourcePath(type, options.namespace), {
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
    limit: options.limit,
    continue: options.continue,
  });
}

function watchPath(type: ResourceType, options: WatchOptions): string {
  return withQuery(resourcePath(type, options.namespace), {
    watch: 1,
    resourceVersion: options.resourceVersion,
    allowWatchBookmarks: true,
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
    timeoutSeconds: options.timeoutSeconds,
  });
}

/**
 * One page from a list answer. List items come without apiVersion and kind; watch events carry them, so they
 * are filled in from the list for one shape.
 */
export function listPageFrom<T extends KubeObject>(list: RawList<T>): ListPage<T> {
  const kind = list.kind?.replace(/List$/, '');
  const items = (list.items ?? []).map((item) => ({
    ...item,
    apiVersion: item.apiVersion ?? list.apiVersion,
    kind: item.kind ?? kind,
  }));
  return {
    items,
    resourceVersion: list.metadata?.resourceVersion ?? '',
    ...(list.metadata?.continue ? { continue: list.metadata.continue } : {}),
  };
}

/** A merge patch that also sets metadata.resourceVersion, so the server refuses it (409) if the object moved. */
export function withResourceVersion(body: unknown, resourceVersion: string | undefined): unknown {
  if (resourceVersion === undefined) return body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new TypeError('a merge patch with a resourceVersion must be an object');
  }
  const patch = body as { metadata?: unknown };
  const metadata =
    patch.metadata !== null && typeof patch.metadata === 'object' ? (patch.metadata as object) : {};
  return { ...patch, metadata: { ...metadata, resourceVersion } };
}
