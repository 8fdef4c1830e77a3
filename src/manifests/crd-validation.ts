import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { KindName } from '../api/kinds.ts';
import { generateCrds } from '../crd/generate.ts';
import { childNodes, type SchemaNode } from '../crd/schema-node.ts';
import { ajvMessage, describeValue, unknownFieldMessage } from './messages.ts';
import { formatPath, type FieldError, type PathSegment } from './problem.ts';
import { KUBERNETES_KEYWORDS } from '../crd/structural.ts';

// RFC 3339 §5.6, which is what the API server's `date-time` format accepts.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

interface CompiledKind {
  schema: SchemaNode;
  /** The schema `validate` checks against, which its errors' `schemaPath` points into. */
  strict: SchemaNode;
  validate: ValidateFunction;
}

let compiled: Map<string, CompiledKind> | undefined;

function compiledKind(kind: KindName): CompiledKind {
  if (compiled === undefined) {
    const ajv = new Ajv({ allErrors: true, strict: true, useDefaults: true });
    // Annotations for the API server; the rules they carry are enforced below (list types) or by zod (CEL rules).
    ajv.addVocabulary([...KUBERNETES_KEYWORDS]);
    ajv.addFormat('uri', { type: 'string', validate: (s: string) => URL.canParse(s) });
    ajv.addFormat('date-time', {
      type: 'string',
      validate: (s) => DATE_TIME.test(s) && !Number.isNaN(Date.parse(s)),
    });
    // The generated CRDs themselves, so this accepts exactly what the API server will.
    compiled = new Map(
      generateCrds().map(({ crd }) => {
        const schema = crd.spec.versions[0]?.schema.openAPIV3Schema;
        if (schema === undefined) throw new Error(`${crd.metadata.name} has no version`);
        const strict = forValidation(schema);
        return [crd.spec.names.kind, { schema, strict, validate: ajv.compile(strict) }];
      }),
    );
  }
  const found = compiled.get(kind);
  if (found === undefined) throw new Error(`no CRD for kind ${kind}`);
  return found;
}

/**
 * The schema as `kubectl apply` (strict field validation) applies it: unknown fields are errors, not
 * silently pruned. Metadata is left to the caller, which checks it as ObjectMeta.
 */
function forValidation(root: SchemaNode): SchemaNode {
  const strict = strictCopy(root);
  if (strict.properties?.metadata) strict.properties.metadata = {};
  return strict;
}

function strictCopy(node: SchemaNode): SchemaNode {
  const out: SchemaNode = { ...node };
  if (node.properties !== undefined) {
    out.properties = Object.fromEntries(Object.entries(node.properties).map(([k, v]) => [k, strictCopy(v)]));
    if (node['x-kubernetes-preserve-unknown-fields'] !== true) out.additionalProperties = false;
  }
  if (typeof node.additionalProperties === 'object')
    out.additionalProperties = strictCopy(node.additionalProperties);
  if (node.items !== undefined) out.items = strictCopy(node.items);
  return out;
}

/**
 * Validates a whole object of a Latchkey kind against its CRD schema and fills in the schema's defaults,
 * as the API server does before storing it. `object` is modified in place.
 */
export function validateAgainstCrd(kind: KindName, object: Record<string, unknown>): FieldError[] {
  const { schema, strict, validate } = compiledKind(kind);
  const errors: FieldError[] = [];
  if (!validate(object)) errors.push(...fromAjv(validate.errors ?? [], object, strict));
  listTypeErrors(schema, object, [], errors);
  return errors;
}

function fromAjv(ajvErrors: ErrorObject[], data: unknown, schema: SchemaNode): FieldError[] {
  const out: FieldError[] = [];
  const typeErrors = new Set(ajvErrors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  for (const error of ajvErrors) {
    // A value of the wrong type fails its enum, pattern, … too; the type is the one thing to fix.
    if (error.keyword !== 'type' && typeErrors.has(error.instancePath)) continue;
    const path = pointerToPath(error.instancePath, data);
    const value = valueAt(data, path);
    if (error.keyword === 'required') path.push(String(error.params.missingProperty));
    if (error.keyword === 'additionalProperties') {
      path.push(String(error.params.additionalProperty));
      const known = Object.keys(schemaAt(schema, error.schemaPath)?.properties ?? {});
      out.push({ path, message: unknownFieldMessage(String(error.params.additionalProperty), known) });
      continue;
    }
    out.push({ path, message: ajvMessage(error, value) });
  }
  return out;
}

/** The node of an error's `schemaPath` (`#/properties/spec/…/additionalProperties`) holding the keyword. */
function schemaAt(root: SchemaNode, schemaPath: string): SchemaNode | undefined {
  const tokens = schemaPath.replace(/^#\/?/, '').split('/').slice(0, -1);
  let node: unknown = root;
  for (const raw of tokens) {
    const token = decodeURIComponent(raw).replaceAll('~1', '/').replaceAll('~0', '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, token)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return typeof node === 'object' && node !== null ? (node as SchemaNode) : undefined;
}

/** JSON pointer → path; a segment is an index only where the data holds a list, since `0` may be a key. */
function pointerToPath(pointer: string, data: unknown): PathSegment[] {
  const path: PathSegment[] = [];
  if (pointer === '') return path;
  let here = data;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    const segment: PathSegment = Array.isArray(here) && /^\d+$/.test(token) ? Number(token) : token;
    path.push(segment);
    here = step(here, segment);
  }
  return path;
}

function step(value: unknown, segment: PathSegment): unknown {
  if (Array.isArray(value) && typeof segment === 'number') return value[segment];
  if (typeof value === 'object' && value !== null && Object.hasOwn(value, segment)) {
    return (value as Record<string, unknown>)[segment];
  }
  return undefined;
}

function valueAt(data: unknown, path: readonly PathSegment[]): unknown {
  return path.reduce(step, data);
}

/**
 * `x-kubernetes-list-type: map` entries must differ in their keys and `set` items must differ; the API server
 * refuses duplicates, JSON Schema has no word for the first and `uniqueItems` is not allowed in a CRD.
 */
function listTypeErrors(schema: SchemaNode, value: unknown, path: PathSegment[], out: FieldError[]): void {
  if (Array.isArray(value)) {
    duplicateEntries(schema, value, path, out);
    const items = schema.items;
    if (items !== undefined) value.forEach((item, i) => listTypeErrors(items, item, [...path, i], out));
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  for (const [segment, child] of childNodes(schema)) {
    if (segment === '*') {
      for (const [key, v] of Object.entries(value)) listTypeErrors(child, v, [...path, key], out);
    } else if (segment !== '[]' && Object.hasOwn(value, segment)) {
      listTypeErrors(child, (value as Record<string, unknown>)[segment], [...path, segment], out);
    }
  }
}

function duplicateEntries(schema: SchemaNode, list: unknown[], path: PathSegment[], out: FieldError[]): void {
  const listType = schema['x-kubernetes-list-type'];
  if (listType !== 'map' && listType !== 'set') return;
  const keys = schema['x-kubernetes-list-map-keys'] ?? [];
  const seen = new Map<string, number>();
  list.forEach((item, i) => {
    const identity = listType === 'set' ? [item] : keys.map((k) => step(item, k));
    // An entry without its keys is already reported as missing a required field.
    if (identity.includes(undefined)) return;
    const id = JSON.stringify(identity);
    const first = seen.get(id);
    if (first === undefined) {
      seen.set(id, i);
      return;
    }
    const what =
      listType === 'set'
        ? describeValue(item)
        : keys.map((k, j) => `${k} ${describeValue(identity[j])}`).join(', ');
    out.push({
      path: [...path, i],
      message: `duplicate entry: ${what} is already listed at ${formatPath([...path, first])}`,
    });
  });
}
