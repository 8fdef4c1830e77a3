/**
 * Which namespaces a management API caller reaches (issue 14): what the same caller could do with manifests.
 * A client in a team's namespace manages that namespace's objects, as the team's manifests could; a client in
 * the Latchkey namespace, which only whoever runs Latchkey writes to, manages every namespace.
 */
export type Reach = { all: true } | { all: false; namespaces: ReadonlySet<string> };

export function callerReach(clientNamespace: string, latchkeyNamespace: string): Reach {
  return clientNamespace === latchkeyNamespace
    ? { all: true }
    : { all: false, namespaces: new Set([clientNamespace]) };
}

export function reaches(reach: Reach, namespace: string): boolean {
  return reach.all || reach.namespaces.has(namespace);
}

/** How a reach reads in a message: `every namespace`, `namespace team-a`. */
export function describeReach(reach: Reach): string {
  if (reach.all) return 'every namespace';
  const names = [...reach.namespaces];
  return `namespace${names.length === 1 ? '' : 's'} ${names.join(', ')}`;
}
