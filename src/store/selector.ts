import type { z } from 'zod';
import type { labelSelector } from '../api/common.ts';

export type LabelSelector = z.output<typeof labelSelector>;

/** The label every namespace carries (Kubernetes ≥ 1.22), so selectors can name namespaces directly. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Kubernetes label-selector semantics: `{}` matches everything, every requirement must hold. */
export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.hasOwn(labels, key) || labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(labels, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!present || !values.includes(labels[req.key] as string)) return false;
        break;
      case 'NotIn':
        if (present && values.includes(labels[req.key] as string)) return false;
        break;
      case 'Exists':
        if (!present) return false;
        break;
      case 'DoesNotExist':
        if (present) return false;
        break;
    }
  }
  return true;
}
