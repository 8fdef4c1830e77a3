/** One node of a CRD's OpenAPI v3 schema, as apiextensions.k8s.io/v1 `JSONSchemaProps` spells it. */
export interface SchemaNode {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  description?: string;
  format?: string;
  enum?: unknown[];
  default?: unknown;
  pattern?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  required?: string[];
  minimum?: number;
  maximum?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: ValidationRule[];
  [keyword: string]: unknown;
}

/** An `x-kubernetes-validations` entry: a CEL rule the API server evaluates. */
export interface ValidationRule {
  rule: string;
  message?: string;
  fieldPath?: string;
}

/** Child schemas of a node with the path segment that leads to each (`*` for any map key, `[]` for items). */
export function childNodes(node: SchemaNode): [segment: string, child: SchemaNode][] {
  const out: [string, SchemaNode][] = [];
  for (const [name, child] of Object.entries(node.properties ?? {})) out.push([name, child]);
  if (typeof node.additionalProperties === 'object') out.push(['*', node.additionalProperties]);
  if (node.items) out.push(['[]', node.items]);
  return out;
}
