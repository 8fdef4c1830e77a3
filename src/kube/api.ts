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
      if (!path.startsWith('/') || path.startsWith('//')) {
        throw new TypeError(`getRaw needs an absolute path on the API server, got ${JSON.stringify(path)}`);
      }
      return http.call('GET', path);
    },

    async list<T extends KubeObject>(
      type: ResourceType,
      listOptions: ListPageOptions = {},
      signal?: AbortSignal,
    ): Promise<ListPage<T>> {
      const path = withQuery(resourcePath(type, listOptions.namespace), {
        labelSelector: listOptions.labelSelector,
        fieldSelector: listOptions.fieldSelector,
        limit: listOptions.limit,
        continue: listOptions.continue,
      });
      const list = (await http.call('GET', path, signal ? { signal } : {})) as RawList<T>;
      // List items come without apiVersion and kind; watch events carry them, so fill them in for one shape.
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
    },

    async watch<T extends KubeObject>(type: ResourceType, watchOptions: WatchOptions, signal: AbortSignal) {
      const path = withQuery(resourcePath(type, watchOptions.namespace), {
        watch: 1,
        resourceVersion: watchOptions.resourceVersion,
        allowWatchBookmarks: true,
        labelSelector: watchOptions.labelSelector,
        fieldSelector: watchOptions.fieldSelector,
        timeoutSeconds: watchOptions.timeoutSeconds,
      });
      return (await http.stream(path, signal)) as AsyncIterable<RawWatchEvent<T>>;
    },

    close: () => http.close(),
  };
}

interface RawList<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: { resourceVersion?: string; continue?: string };
  items?: T[];
}

/** A merge patch that also sets metadata.resourceVersion, so the server refuses it (409) if the object moved. */
function withResourceVersion(body: unknown, resourceVersion: string | undefined): unknown {
  if (resourceVersion === undefined) return body;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new TypeError('a merge patch with a resourceVersion must be an object');
  }
  const patch = body as { metadata?: unknown };
  const metadata =
    patch.metadata !== null && typeof patch.metadata === 'object' ? (patch.metadata as object) : {};
  return { ...patch, metadata: { ...metadata, resourceVersion } };
}
