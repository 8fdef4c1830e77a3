import type { ResourceType } from './types.ts';

/**
 * The API path of a collection, an object or its subresource:
 * `/api/v1/namespaces/ns/secrets/name` for the core group, `/apis/<group>/<version>/...` for others.
 * Names are URL-encoded; names no object can have (empty, `.`, `..`, containing `/` or `%`) are refused
 * rather than sent, so a hostile name (say, a reference in a user's manifest) never addresses another path.
 */
export function resourcePath(
  type: ResourceType,
  namespace: string | undefined,
  name?: string,
  subresource?: string,
): string {
  let path =
    type.group === '' ? `/api/${seg(type.version)}` : `/apis/${seg(type.group)}/${seg(type.version)}`;
  if (namespace !== undefined) {
    if (!type.namespaced)
      throw new TypeError(`${type.plural} are not namespaced, got namespace ${namespace}`);
    path += `/namespaces/${seg(namespace)}`;
  } else if (type.namespaced && name !== undefined) {
    throw new TypeError(`${type.plural} are namespaced: a namespace is required to address ${name}`);
  }
  path += `/${seg(type.plural)}`;
  if (name !== undefined) path += `/${seg(name)}`;
  if (subresource !== undefined) {
    if (name === undefined) throw new TypeError(`subresource ${subresource} needs an object name`);
    path += `/${seg(subresource)}`;
  }
  return path;
}

/** `plural` for the core group, `plural.group` otherwise: how kubectl and RBAC name a resource. */
export function resourceName(type: ResourceType): string {
  return type.group === '' ? type.plural : `${type.plural}.${type.group}`;
}

// apimachinery's ValidatePathSegmentName: the API server decodes %2F before routing, so a name holding `/`
// or `%` could address a subresource or another object.
function seg(value: string): string {
  if (value === '' || value === '.' || value === '..' || /[/%]/.test(value)) {
    throw new TypeError(`${JSON.stringify(value)} cannot be a path segment`);
  }
  return encodeURIComponent(value);
}

/** `path?query` with the defined values of `query`, in the order given. */
export function withQuery(
  path: string,
  query: Record<string, string | number | boolean | undefined>,
): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}
