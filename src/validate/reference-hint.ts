import { closestName } from '../closest-name.ts';
import type { Origin } from '../store/objects.ts';

/** An object the files declare, as far as a hint needs it. */
export interface Declared {
  kind: string;
  namespace: string;
  name: string;
  origin?: Origin | undefined;
}

// More namespaces than this are counted, not named: the line stays readable.
const NAMED_NAMESPACES = 3;

function where(origin: Origin | undefined): string {
  return origin === undefined ? '' : ` (${origin.file}:${origin.line})`;
}

/**
 * What a reference to a missing object most likely meant, or undefined: the namespaces where an object of
 * that kind and name is declared (a reference's namespace defaults to the referrer's own, the usual slip
 * when a team refers to another's API), else a near name of that kind in the namespace it looked in. When it
 * is declared after all, it did not compile ("not found or not ready"), and its own problems say why.
 * @example referenceHint({ kind: 'ResourceServer', namespace: 'billing', name: 'payments-api' }, declared)
 * // 'did you mean namespace team-a (team-a/api.yaml:3)?'
 */
export function referenceHint(
  missing: { kind: string; namespace: string; name: string },
  declared: readonly Declared[],
): string | undefined {
  const sameKind = declared.filter((d) => d.kind === missing.kind);
  const itself = sameKind.find((d) => d.name === missing.name && d.namespace === missing.namespace);
  if (itself !== undefined) {
    const at = itself.origin === undefined ? '' : ` at ${itself.origin.file}:${itself.origin.line}`;
    return `it is declared${at} but is not ready: see the problems reported there`;
  }
  const elsewhere = sameKind
    .filter((d) => d.name === missing.name && d.namespace !== missing.namespace)
    .sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0));
  if (elsewhere.length > 0) {
    const named = elsewhere.slice(0, NAMED_NAMESPACES).map((d) => `${d.namespace}${where(d.origin)}`);
    const more = elsewhere.length - named.length;
    const last = more > 0 ? `, or ${more} more` : '';
    const list = named.length === 1 ? named[0] : `${named.slice(0, -1).join(', ')} or ${named.at(-1) ?? ''}`;
    return `did you mean namespace ${list}${last}?`;
  }
  const here = sameKind.filter((d) => d.namespace === missing.namespace);
  const near = closestName(
    missing.name,
    here.map((d) => d.name),
  );
  const found = here.find((d) => d.name === near);
  return found === undefined ? undefined : `did you mean ${found.name}${where(found.origin)}?`;
}
