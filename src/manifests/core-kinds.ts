import type { SecretData } from '../store/objects.ts';
import { describeKind, describeValue, unknownFieldMessage } from './messages.ts';
import { checkMetadata, isRecord } from './metadata.ts';
import type { FieldError } from './problem.ts';

/** A namespace's labels as declared, with the name label the API server adds to every namespace. */
export interface NamespaceLabels {
  name: string;
  labels: Readonly<Record<string, string>>;
}

/** Set by the API server on every Namespace; label selectors commonly match on it. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

const SECRET_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'data', 'stringData', 'type', 'immutable']);
const NAMESPACE_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);

// k8s.io/apimachinery IsConfigMapKey.
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
// Go's base64.StdEncoding, which decodes Secret data: padded, no whitespace.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export interface CheckedCore<T> {
  value?: T;
  errors: FieldError[];
}

/** A v1 Secret: `data` is base64, `stringData` plain text and wins over `data` for the same key. */
export function checkSecret(object: Record<string, unknown>): CheckedCore<SecretData> {
  const errors = unknownFields(object, SECRET_FIELDS);
  const { meta, errors: metaErrors } = checkMetadata(object.metadata, {
    name: 'subdomain',
    namespaced: true,
  });
  errors.push(...metaErrors);
  const entries: [string, string][] = [];
  for (const field of ['data', 'stringData'] as const) {
    const map = object[field];
    if (map === undefined || map === null) continue;
    if (!isRecord(map)) {
      errors.push({ path: [field], message: `must be a mapping, got ${describeValue(map)}` });
      continue;
    }
    for (const [key, v] of Object.entries(map)) {
      const path = [field, key];
      if (key.length > 253 || !SECRET_KEY.test(key)) {
        errors.push({
          path,
          message: `key ${JSON.stringify(key)} must be letters, digits, "-", "_" and "."`,
        });
      } else if (typeof v !== 'string') {
        errors.push({ path, message: `must be a string, got ${describeKind(v)}` });
      } else if (field === 'data' && !BASE64.test(v)) {
        errors.push({
          path,
          message: 'must be base64 (standard alphabet, padded); use stringData for plain text',
        });
      } else {
        entries.push([key, field === 'data' ? Buffer.from(v, 'base64').toString('utf8') : v]);
      }
    }
  }
  if (object.type !== undefined && typeof object.type !== 'string') {
    errors.push({ path: ['type'], message: `must be a string, got ${describeValue(object.type)}` });
  }
  if (object.immutable !== undefined && typeof object.immutable !== 'boolean') {
    errors.push({
      path: ['immutable'],
      message: `must be a boolean (true or false), got ${describeValue(object.immutable)}`,
    });
  }
  if (errors.length > 0 || meta === undefined) return { errors };
  // fromEntries defines own properties (a `__proto__` key stays a key); later entries (stringData) win.
  const secret: SecretData = {
    namespace: meta.namespace,
    name: meta.name,
    data: Object.fromEntries(entries),
  };
  if (meta.labels !== undefined) secret.labels = meta.labels;
  return { value: secret, errors };
}

/** A v1 Namespace, for its labels: `allowedNamespaces` selectors match on them. */
export function checkNamespace(object: Record<string, unknown>): CheckedCore<NamespaceLabels> {
  const errors = unknownFields(object, NAMESPACE_FIELDS);
  const { meta, errors: metaErrors } = checkMetadata(object.metadata, { name: 'label', namespaced: false });
  errors.push(...metaErrors);
  if (errors.length > 0 || meta === undefined) return { errors };
  return {
    value: { name: meta.name, labels: { ...meta.labels, [NAMESPACE_NAME_LABEL]: meta.name } },
    errors,
  };
}

function unknownFields(object: Record<string, unknown>, known: ReadonlySet<string>): FieldError[] {
  return Object.keys(object)
    .filter((k) => !known.has(k))
    .map((k) => ({ path: [k], message: unknownFieldMessage(k, [...known]) }));
}
