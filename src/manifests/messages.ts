import type { ErrorObject } from 'ajv';
import { z } from 'zod';
import { duration, namespaceName, objectName } from '../api/common.ts';
import { CLIENT_ID } from '../api/oauth-client.ts';
import { closestName } from '../closest-name.ts';
import { SCOPE_TOKEN } from '../api/resource-server.ts';

const NAME_RULES = 'lowercase letters, digits and "-", starting and ending with a letter or digit';
export const DNS_SUBDOMAIN_TEXT = `a DNS-1123 subdomain: at most 253 characters of ${NAME_RULES}, in parts joined by "."`;
export const DNS_LABEL_TEXT = `a DNS-1123 label: at most 63 characters of ${NAME_RULES}`;

let patternTexts: Map<string, string> | undefined;

// Patterns that people meet often, said in words; the regex is the fallback for the rest.
function patternText(pattern: string): string | undefined {
  patternTexts ??= new Map([
    [patternOf(objectName), DNS_SUBDOMAIN_TEXT],
    [patternOf(namespaceName), DNS_LABEL_TEXT],
    [SCOPE_TOKEN.source, 'a scope token (RFC 6749 §3.3): printable ASCII without spaces, `"` or `\\`'],
    [patternOf(duration), 'a duration such as 90s, 5m or 1h30m (units ms, s, m, h)'],
    [CLIENT_ID.source, 'a client id: letters, digits and . _ : ~ -, starting with a letter or digit'],
  ]);
  return patternTexts.get(pattern);
}

function patternOf(schema: z.ZodType): string {
  const pattern = (z.toJSONSchema(schema) as { pattern?: unknown }).pattern;
  if (typeof pattern !== 'string') throw new Error('schema has no pattern');
  return pattern;
}

const TYPE_TEXT: Readonly<Record<string, string>> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean (true or false)',
  null: 'null',
};

/** What a value is, for "got …" in messages; strings are quoted so `"true"` and `true` read differently. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  return String(value);
}

/**
 * What kind of value this is, and nothing of the value: for fields that may hold a credential (a Secret's
 * `data` and `stringData`), whose value must never reach a message, a log or a terminal (issue 9).
 */
export function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value instanceof Date) return 'a date (quote it to make it a string)';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number' || typeof value === 'bigint')
    return 'a number (quote it to make it a string)';
  if (typeof value === 'boolean') return 'a boolean (quote it to make it a string)';
  return `a ${typeof value}`;
}

/** A mapping with at most this many fields has them all listed after an unknown one; a longer list drowns the line. */
const LISTED_FIELDS = 8;

/**
 * An unknown field, with the way out: the known field it most likely stands for, and in a small mapping
 * (such as `spec.secret.keys`) every field it takes, in schema order.
 * @example unknownFieldMessage('client_secret', ['clientId', 'clientSecret'])
 * // 'unknown field "client_secret"; did you mean "clientSecret"? (fields here: clientId, clientSecret)'
 */
export function unknownFieldMessage(field: string, known: readonly string[]): string {
  const unknown = `unknown field ${JSON.stringify(field)}`;
  const guess = closestName(field, known);
  const listed = known.length > 0 && known.length <= LISTED_FIELDS ? `fields here: ${known.join(', ')}` : '';
  if (guess === undefined) return listed === '' ? unknown : `${unknown}; ${listed}`;
  const meant = `${unknown}; did you mean ${JSON.stringify(guess)}?`;
  return listed === '' ? meant : `${meant} (${listed})`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** A message a person can act on for one ajv error; `value` is the data the error is about. */
export function ajvMessage(error: ErrorObject, value: unknown): string {
  const p = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `missing required field "${String(p.missingProperty)}"`;
    case 'additionalProperties':
      return `unknown field "${String(p.additionalProperty)}"`;
    case 'type':
      return `must be ${String(p.type)
        .split(',')
        .map((t) => TYPE_TEXT[t] ?? t)
        .join(' or ')}, got ${describeValue(value)}`;
    case 'enum':
      return `must be one of: ${(p.allowedValues as unknown[]).map((v) => String(v)).join(', ')} (got ${describeValue(value)})`;
    case 'pattern': {
      const text = patternText(String(p.pattern));
      return text === undefined
        ? `must match the pattern ${String(p.pattern)} (got ${describeValue(value)})`
        : `must be ${text} (got ${describeValue(value)})`;
    }
    case 'format':
      if (p.format === 'uri')
        return `must be an absolute URI such as https://example.com (got ${describeValue(value)})`;
      if (p.format === 'date-time') {
        return `must be an RFC 3339 date-time such as 2024-01-31T12:00:00Z (got ${describeValue(value)})`;
      }
      return `must be in the format ${String(p.format)} (got ${describeValue(value)})`;
    case 'minLength':
      return p.limit === 1
        ? 'must not be empty'
        : `must be at least ${plural(Number(p.limit), 'character')} long`;
    case 'maxLength':
      return `must be at most ${plural(Number(p.limit), 'character')} long (it has ${String(value).length})`;
    case 'minItems':
      return `must list at least ${plural(Number(p.limit), 'item')}`;
    case 'maxItems':
      return `must list at most ${plural(Number(p.limit), 'item')} (it has ${Array.isArray(value) ? value.length : '?'})`;
    default:
      return error.message ?? `fails the ${error.keyword} check`;
  }
}
