import { childNodes, type SchemaNode } from './schema-node.ts';

/** The `x-kubernetes-*` extensions a CRD schema may carry. */
export const KUBERNETES_KEYWORDS = [
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
] as const;

// The fields of apiextensions.k8s.io/v1 JSONSchemaProps that a structural schema may use. `$ref`, `$schema`,
// `definitions`, `patternProperties`, `dependencies` and `additionalItems` are rejected by the API server;
// `anyOf`/`oneOf`/`allOf`/`not` are allowed there only in a restricted form we have no use for.
// https://kubernetes.io/docs/tasks/extend-kubernetes/custom-resources/custom-resource-definitions/#specifying-a-structural-schema
const ALLOWED_KEYWORDS = new Set([
  'type',
  'description',
  'title',
  'format',
  'default',
  'nullable',
  'enum',
  'example',
  'externalDocs',
  'maximum',
  'minimum',
  'exclusiveMaximum',
  'exclusiveMinimum',
  'multipleOf',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'maxProperties',
  'minProperties',
  'required',
  'items',
  'properties',
  'additionalProperties',
  ...KUBERNETES_KEYWORDS,
]);

const TYPES = new Set(['object', 'array', 'string', 'integer', 'number', 'boolean']);

/**
 * Why a CRD's openAPIV3Schema would be refused by the API server as non-structural, one line per problem
 * (empty when it is structural). Paths look like `.spec.grants[].scopes`; `.*` stands for any map key.
 */
export function structuralViolations(root: SchemaNode): string[] {
  const out: string[] = [];
  visit(root, '', out);
  const metadata = root.properties?.metadata;
  if (metadata !== undefined) {
    // The API server owns ObjectMeta's schema; it accepts only `type: object` (plus name/generateName limits).
    const extra = Object.keys(metadata).filter((k) => k !== 'type' && k !== 'properties');
    const props = Object.keys(metadata.properties ?? {}).filter((k) => k !== 'name' && k !== 'generateName');
    if (extra.length > 0 || props.length > 0) {
      out.push(`.metadata: must specify nothing but type: object, found ${[...extra, ...props].join(', ')}`);
    }
  }
  return out;
}

function visit(node: SchemaNode, path: string, out: string[]): void {
  const at = path === '' ? '.' : path;
  for (const keyword of Object.keys(node)) {
    if (!ALLOWED_KEYWORDS.has(keyword))
      out.push(`${at}: keyword ${keyword} is not allowed in a structural schema`);
  }
  const typeless =
    node['x-kubernetes-int-or-string'] === true || node['x-kubernetes-preserve-unknown-fields'] === true;
  if (node.type === undefined) {
    if (!typeless) out.push(`${at}: every node needs a type`);
  } else if (!TYPES.has(node.type)) {
    out.push(`${at}: type ${JSON.stringify(node.type)} is not one of ${[...TYPES].join(', ')}`);
  }
  if (node.properties !== undefined && node.additionalProperties !== undefined) {
    out.push(`${at}: properties and additionalProperties are mutually exclusive`);
  }
  if (typeof node.additionalProperties === 'boolean') {
    out.push(
      `${at}: additionalProperties must be a schema; use x-kubernetes-preserve-unknown-fields instead`,
    );
  }
  if (node.items !== undefined && (Array.isArray(node.items) || typeof node.items !== 'object')) {
    out.push(`${at}: items must be a single schema`);
  }
  if (node.uniqueItems === true) {
    out.push(`${at}: uniqueItems is forbidden (quadratic); use x-kubernetes-list-type: set or map`);
  }
  if ((node.properties !== undefined || node.additionalProperties !== undefined) && node.type !== 'object') {
    out.push(`${at}: properties need type: object`);
  }
  if (node.items !== undefined && node.type !== 'array') out.push(`${at}: items need type: array`);
  checkListType(node, at, out);
  for (const [segment, child] of childNodes(node)) {
    visit(child, segment === '[]' ? `${path}[]` : `${path}.${segment}`, out);
  }
}

function checkListType(node: SchemaNode, at: string, out: string[]): void {
  const listType = node['x-kubernetes-list-type'];
  const keys = node['x-kubernetes-list-map-keys'];
  if (keys !== undefined && listType !== 'map') {
    out.push(`${at}: x-kubernetes-list-map-keys needs x-kubernetes-list-type: map`);
  }
  if (listType === undefined) return;
  if (node.type !== 'array') {
    out.push(`${at}: x-kubernetes-list-type needs type: array`);
    return;
  }
  const items = node.items;
  if (
    listType === 'set' &&
    items?.type !== undefined &&
    (items.type === 'object' || items.type === 'array')
  ) {
    out.push(`${at}: x-kubernetes-list-type: set needs scalar items`);
  }
  if (listType === 'map') {
    if (items?.type !== 'object' || keys === undefined || keys.length === 0) {
      out.push(`${at}: x-kubernetes-list-type: map needs object items and x-kubernetes-list-map-keys`);
      return;
    }
    for (const key of keys) {
      const keySchema = items.properties?.[key];
      if (keySchema === undefined) {
        out.push(`${at}: list map key ${key} is not a property of the items`);
      } else if (!(items.required ?? []).includes(key) && keySchema.default === undefined) {
        // The API server needs every key present to tell entries apart.
        out.push(`${at}: list map key ${key} must be required or have a default`);
      }
    }
  }
}
