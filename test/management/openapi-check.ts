import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/**
 * Checks management API responses against the OpenAPI document the server serves: the schema of the
 * operation's response for the status, with every `$ref` resolved in the document, formats included.
 */
export class ResponseChecker {
  readonly #ajv = new Ajv2020({ strict: false, allErrors: true });
  readonly #paths: { template: string; pattern: RegExp }[];
  readonly #document: OpenApiDocument;

  constructor(document: OpenApiDocument) {
    this.#document = document;
    addFormats.default(this.#ajv);
    this.#ajv.addSchema(document as object, 'openapi');
    this.#paths = Object.keys(document.paths).map((template) => ({
      template,
      pattern: new RegExp(`^${template.replaceAll(/\{[^}]+\}/g, '[^/]+')}$`),
    }));
  }

  /** Why the response does not match the document, or an empty list when it does. */
  problems(method: string, path: string, status: number, body: unknown): string[] {
    const bare = path.split('?', 1)[0] ?? '';
    const match = this.#paths.find((p) => p.pattern.test(bare));
    if (match === undefined) return status === 404 ? [] : [`no operation in the document for ${bare}`];
    const operation = this.#document.paths[match.template]?.[method.toLowerCase()];
    if (operation === undefined) return [`no ${method} operation for ${match.template}`];
    if (operation.responses[String(status)] === undefined)
      return [`${match.template} documents no ${status}`];
    const pointer = `openapi#/paths/${encodeURIComponent(escape(match.template))}/${method.toLowerCase()}/responses/${status}/content/application~1json/schema`;
    const problems = this.#validate(pointer, body);
    if (
      problems.length > 0 ||
      status !== 200 ||
      new URLSearchParams(path.split('?')[1] ?? '').has('fields')
    ) {
      return problems;
    }
    // Without `fields`, every item has every field its resource requires: the document's union cannot say so.
    const resource = /^(?:list(.+)s|get(.+))$/.exec(operation.operationId ?? '');
    const component = resource?.[1] ?? resource?.[2];
    if (component === undefined || component === 'Schema') return [];
    const items = operation.operationId?.startsWith('list') ? (body as { items: unknown[] }).items : [body];
    return items.flatMap((item, i) =>
      this.#validate(`openapi#/components/schemas/${component}`, item).map((p) => `item ${i}: ${p}`),
    );
  }

  #validate(pointer: string, value: unknown): string[] {
    const validate = this.#ajv.getSchema(pointer) ?? this.#ajv.compile({ $ref: pointer });
    return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
  }
}

function escape(segment: string): string {
  return segment.replaceAll('~', '~0').replaceAll('/', '~1');
}

export interface OpenApiDocument {
  paths: Record<string, Record<string, { operationId?: string; responses: Record<string, unknown> }>>;
}
