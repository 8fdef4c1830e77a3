import { invalidQuery, ManagementError } from './errors.ts';
import { describeReach, reaches, type Reach } from './reach.ts';

/** The longest `search` accepted: longer text matches no name anyway. */
export const MAX_SEARCH_LENGTH = 200;

/** Filters every list has: `namespace` (exact) and `search` (case-insensitive, in the listed fields). */
export const COMMON_FILTERS = ['namespace', 'search'] as const;

/**
 * Which items a list keeps: those in the caller's reach, in `namespace` when given, whose `searchIn` fields
 * contain `search`. A namespace outside the reach is a 403 naming the reach, which says nothing about objects.
 *
 * @throws {ManagementError} 400 for a search too long, 403 for a namespace outside the reach
 */
export function listFilter<T extends { namespace: string }>(
  filters: Readonly<Record<string, string>>,
  reach: Reach,
  searchIn: (item: T) => readonly (string | undefined)[],
): (item: T) => boolean {
  const { namespace, search } = filters;
  if (namespace !== undefined && !reaches(reach, namespace)) {
    throw new ManagementError(
      403,
      'namespace_not_allowed',
      `your token reaches ${describeReach(reach)}, not namespace ${JSON.stringify(namespace.slice(0, 100))}`,
    );
  }
  if (search !== undefined && search.length > MAX_SEARCH_LENGTH) {
    throw invalidQuery(`search must be at most ${MAX_SEARCH_LENGTH} characters`);
  }
  const needle = search?.toLowerCase();
  return (item) =>
    (namespace === undefined ? reaches(reach, item.namespace) : item.namespace === namespace) &&
    (needle === undefined || searchIn(item).some((v) => v?.toLowerCase().includes(needle) === true));
}
