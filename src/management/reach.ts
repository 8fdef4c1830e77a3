/**
 * Which namespaces a management API scope reaches (issue 14), as its grants compile
 * (src/store/compile/management-reach.ts): what the same caller could do with manifests.
 */
export type Reach = { all: true } | { all: false; namespaces: ReadonlySet<string> };

export function reaches(reach: Reach, namespace: string): boolean {
  return reach.all || reach.namespaces.has(namespace);
}

/** How a reach reads in a message: `every namespace`, `namespace team-a`. */
export function describeReach(reach: Reach): string {
  if (reach.all) return 'every namespace';
  const names = [...reach.namespaces];
  return `namespace${names.length === 1 ? '' : 's'} ${names.join(', ')}`;
}
