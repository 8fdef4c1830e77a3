import { namespaceName, objectName } from '../api/common.ts';
import type { ObjectMeta } from '../store/objects.ts';
import { describeValue, DNS_LABEL_TEXT, DNS_SUBDOMAIN_TEXT, unknownFieldMessage } from './messages.ts';
import type { FieldError } from './problem.ts';

/** Where an object without `metadata.namespace` lands, as with `kubectl apply` and no `-n`. */
export const DEFAULT_NAMESPACE = 'default';

// ObjectMeta's fields (k8s.io/apimachinery meta/v1). Strict field validation refuses any other.
const OBJECT_META_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);

// k8s.io/apimachinery/pkg/util/validation: IsQualifiedName and IsValidLabelValue.
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export interface MetadataRules {
  /** Namespaces are named by DNS-1123 labels, most other objects by subdomains. */
  name: 'subdomain' | 'label';
  /** Cluster-scoped objects ignore `metadata.namespace`, as the API server does. */
  namespaced: boolean;
}

export interface CheckedMetadata {
  /** Present only when there are no errors. */
  meta?: ObjectMeta;
  errors: FieldError[];
}

/** Checks `metadata` as the API server checks ObjectMeta on create. */
export function checkMetadata(value: unknown, rules: MetadataRules): CheckedMetadata {
  const errors: FieldError[] = [];
  if (value === undefined) {
    return { errors: [{ path: ['metadata', 'name'], message: 'missing required field "name"' }] };
  }
  if (!isRecord(value)) {
    return { errors: [{ path: ['metadata'], message: `must be a mapping, got ${describeValue(value)}` }] };
  }
  for (const key of Object.keys(value)) {
    if (!OBJECT_META_FIELDS.has(key))
      errors.push({ path: ['metadata', key], message: unknownFieldMessage(key, [...OBJECT_META_FIELDS]) });
  }

  // YAML's empty value is null, which Go decodes as the empty string: absent.
  const name = value.name ?? undefined;
  if (name === undefined) {
    errors.push({ path: ['metadata', 'name'], message: 'missing required field "name"' });
  } else if (typeof name !== 'string') {
    errors.push({ path: ['metadata', 'name'], message: `must be a string, got ${describeValue(name)}` });
  } else if (!(rules.name === 'label' ? namespaceName : objectName).safeParse(name).success) {
    const text = rules.name === 'label' ? DNS_LABEL_TEXT : DNS_SUBDOMAIN_TEXT;
    errors.push({ path: ['metadata', 'name'], message: `must be ${text} (got ${describeValue(name)})` });
  }

  let namespace = DEFAULT_NAMESPACE;
  if (rules.namespaced && value.namespace !== undefined && value.namespace !== null) {
    if (typeof value.namespace !== 'string' || !namespaceName.safeParse(value.namespace).success) {
      const message = `must be ${DNS_LABEL_TEXT} (got ${describeValue(value.namespace)})`;
      errors.push({ path: ['metadata', 'namespace'], message });
    } else {
      namespace = value.namespace;
    }
  }

  const labels = stringMap(value.labels, 'labels', errors, (key, v) => {
    const keyProblem = qualifiedNameProblem(key);
    if (keyProblem !== undefined) return `label key ${JSON.stringify(key)} ${keyProblem}`;
    if (v.length > 63 || !LABEL_VALUE.test(v)) {
      return `label value ${describeValue(v)} must be at most 63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit`;
    }
    return undefined;
  });
  const annotations = stringMap(value.annotations, 'annotations', errors, (key) => {
    const keyProblem = qualifiedNameProblem(key);
    return keyProblem === undefined ? undefined : `annotation key ${JSON.stringify(key)} ${keyProblem}`;
  });

  if (errors.length > 0 || typeof name !== 'string') return { errors };
  const meta: ObjectMeta = { name, namespace };
  if (labels !== undefined) meta.labels = labels;
  if (annotations !== undefined) meta.annotations = annotations;
  return { meta, errors };
}

function stringMap(
  value: unknown,
  field: 'labels' | 'annotations',
  errors: FieldError[],
  check: (key: string, value: string) => string | undefined,
): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) {
    errors.push({ path: ['metadata', field], message: `must be a mapping, got ${describeValue(value)}` });
    return undefined;
  }
  const entries: [string, string][] = [];
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      errors.push({ path: ['metadata', field, key], message: `must be a string, got ${describeValue(v)}` });
      continue;
    }
    const problem = check(key, v);
    if (problem === undefined) entries.push([key, v]);
    else errors.push({ path: ['metadata', field, key], message: problem });
  }
  // fromEntries defines own properties, so a `__proto__` key cannot reach a prototype.
  return Object.fromEntries(entries);
}

/** Why `key` is not a qualified name (`[prefix/]name`), or undefined when it is one. */
function qualifiedNameProblem(key: string): string | undefined {
  const parts = key.split('/');
  const name = parts.length === 2 ? parts[1] : parts[0];
  if (parts.length > 2 || name === undefined) return 'must be a name with an optional "prefix/"';
  if (parts.length === 2) {
    const prefix = parts[0] ?? '';
    if (!objectName.safeParse(prefix).success) return `has a prefix that is not ${DNS_SUBDOMAIN_TEXT}`;
  }
  if (name.length > 63 || !QUALIFIED_NAME_PART.test(name)) {
    return 'must be at most 63 characters of letters, digits, "-", "_" and ".", starting and ending with a letter or digit (after an optional "prefix/")';
  }
  return undefined;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
