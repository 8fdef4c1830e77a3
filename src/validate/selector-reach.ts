import { NAMESPACE_NAME_LABEL, selectorMatches, type LabelSelector } from '../store/selector.ts';

/**
 * Whether `allowedNamespaces` could select `namespace` for some labels it may carry: whether a reference
 * from a namespace whose labels are unknown may be allowed in the cluster. The name label is the one label
 * every namespace is known to have. Absent selects no other namespace; `{}` selects all.
 * @example couldSelect({ matchLabels: { team: 'billing' } }, 'reporting') // true: reporting may be labelled so
 */
export function couldSelect(selector: LabelSelector | undefined, namespace: string): boolean {
  if (selector === undefined) return false;
  const expressions = selector.matchExpressions ?? [];
  const keys = new Set([...Object.keys(selector.matchLabels ?? {}), ...expressions.map((e) => e.key)]);
  keys.delete(NAMESPACE_NAME_LABEL);
  // The labels most likely to match: per key, a value every requirement on it accepts, if there is one.
  const labels: Record<string, string> = { [NAMESPACE_NAME_LABEL]: namespace };
  for (const key of keys) {
    const on = expressions.filter((e) => e.key === key);
    const excluded = new Set(on.filter((e) => e.operator === 'NotIn').flatMap((e) => e.values ?? []));
    const lists = on.filter((e) => e.operator === 'In').map((e) => e.values ?? []);
    const fixed = selector.matchLabels?.[key];
    if (fixed !== undefined) {
      labels[key] = fixed;
    } else if (lists.length > 0) {
      const value = lists[0]?.find((v) => !excluded.has(v) && lists.every((l) => l.includes(v)));
      if (value === undefined) return false;
      labels[key] = value;
    } else if (on.some((e) => e.operator === 'Exists')) {
      let value = 'any';
      while (excluded.has(value)) value += '-';
      labels[key] = value;
    }
    // Otherwise only NotIn and DoesNotExist: leaving the label off satisfies both.
  }
  return selectorMatches(selector, labels);
}
