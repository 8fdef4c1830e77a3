import type { DeclaredObject } from '../store/objects.ts';
import type { Resolution } from '../store/compile.ts';
import { secretNameOf } from '../store/names.ts';
import { ConditionType, Reason } from '../store/reasons.ts';
import { referenceHint } from './reference-hint.ts';
import { couldSelect } from './selector-reach.ts';

export type Severity = 'error' | 'warning';

/** One problem of one object, before it is placed on a line. */
export interface ObjectProblem {
  /** Dotted path below the object (`spec.grants[0]`), `''` for the whole object. */
  field: string;
  message: string;
  severity: Severity;
}

export interface ResolutionContext {
  /** Namespaces that a Namespace document among the given files declares, so their labels are known. */
  knownNamespaces: ReadonlySet<string>;
  /** The declared objects by how the store's messages name them (`OAuthClient billing/worker`). */
  objects: ReadonlyMap<string, DeclaredObject>;
  /** The key names of each Secret the files declare, by `namespace/name`. */
  secretKeys: ReadonlyMap<string, readonly string[]>;
}

// compile() joins the problems of one condition with this separator (see its readyMessage).
const PART_SEPARATOR = '; ';

// compile() starts a reference problem with the field it is about: `spec.grants[0]: ResourceServer … not found`.
const FIELD_PREFIX = /^(spec(?:\.[A-Za-z][A-Za-z0-9]*|\[\d+\])+): (.*)$/s;
// …and a problem with one value with the field's path: `spec.accessToken.lifetime 48h must be …`.
const FIELD_SUBJECT = /^(spec(?:\.[A-Za-z][A-Za-z0-9]*)+) (.*)$/s;
const NOT_ALLOWED = /^(\w+ [^\s/]+\/\S+) does not allow references from namespace /;
const HELD_BY = /already used by (\w+ [^\s/]+\/\S+)$/;
// resolveRef's words for a reference to nothing (src/store/compile/resolve-ref.ts).
const NOT_FOUND = /^(\w+) ([^\s/]+)\/(\S+) not found(?: or not ready)?$/;

/** Problems whose message names the value rather than the field: the field each is about. */
const FIELD_OF_SUBJECT: readonly [RegExp, (o: DeclaredObject) => string][] = [
  [/^identifier /, () => 'spec.identifier'],
  // The default client id comes from the name; renaming the object is then the way out.
  [
    /^client id /,
    (o) => (o.kind === 'OAuthClient' && o.spec.clientId !== undefined ? 'spec.clientId' : 'metadata.name'),
  ],
  [/^grant type /, () => 'spec.grantTypes'],
  [/^tokenEndpointAuthMethod /, () => 'spec.tokenEndpointAuthMethod'],
];

/**
 * What the store's resolution of one object says is wrong, one problem per cause, each with the field it is
 * about. Only `Ready=False` counts: `Unknown` is what cannot be decided offline (an issuer never contacted).
 * A refused cross-namespace reference is a warning when no Namespace document gives the referring namespace's
 * labels and the target's allowedNamespaces could select it for some labels: the cluster's namespace may
 * carry them.
 */
export function resolutionProblems(
  object: DeclaredObject,
  resolution: Resolution,
  context: ResolutionContext,
): ObjectProblem[] {
  const ready = resolution.conditions.find((c) => c.type === ConditionType.Ready);
  if (ready === undefined || ready.status !== 'False') return [];
  const problems: ObjectProblem[] = [];

  // The Secret's message may itself contain the separator, so it is taken off whole first. What a condition
  // leaves Unknown (an issuer never contacted) cannot be decided offline and is no problem here.
  let rest = ready.message;
  const takeOff = (message: string): boolean => {
    const parts = withoutPart(rest, message);
    if (parts !== undefined) rest = parts;
    return parts !== undefined;
  };
  for (const c of resolution.conditions) if (c.status === 'Unknown') takeOff(c.message);
  const secret = resolution.conditions.find(
    (c) => c.type === ConditionType.SecretReady && c.status !== 'True',
  );
  if (secret !== undefined && takeOff(secret.message)) {
    const secretName =
      object.kind === 'OAuthClient'
        ? secretNameOf(object)
        : object.kind === 'Connection'
          ? (object.spec.clientSecretRef?.name ?? '')
          : '';
    const keysInFiles = context.secretKeys.get(`${object.metadata.namespace}/${secretName}`);
    problems.push(
      object.kind === 'Connection'
        ? secretProblem(secret, keysInFiles, CONNECTION_SECRET_FIELDS)
        : secretProblem(secret, keysInFiles),
    );
  }
  const parts = rest === '' ? [] : rest.split(PART_SEPARATOR);
  return [...parts.map((part) => partProblem(part, object, context)), ...problems];
}

/** `joined` (parts joined by the separator) without the part `part`, or undefined when it has no such part. */
function withoutPart(joined: string, part: string): string | undefined {
  if (joined === part) return '';
  const padded = `${PART_SEPARATOR}${joined}${PART_SEPARATOR}`;
  const at = padded.indexOf(`${PART_SEPARATOR}${part}${PART_SEPARATOR}`);
  if (at < 0) return undefined;
  const left = padded.slice(PART_SEPARATOR.length, at);
  const right = padded.slice(
    at + PART_SEPARATOR.length + part.length + PART_SEPARATOR.length,
    -PART_SEPARATOR.length,
  );
  return left === '' || right === '' ? left + right : `${left}${PART_SEPARATOR}${right}`;
}

/**
 * The problem a client's `SecretReady=False` condition makes. A Secret without the key may still get it from
 * whoever writes it, which the cluster reports as waiting: a warning. When the files declare that Secret
 * (`keysInFiles`), they are what will be applied, so the key is missing for good: an error at
 * `spec.secret.keys.clientSecret` naming the keys the Secret has (names only, never values).
 */
export function secretProblem(
  condition: { reason: string; message: string },
  keysInFiles: readonly string[] | undefined,
  fields: SecretFields = CLIENT_SECRET_FIELDS,
): ObjectProblem {
  if (condition.reason !== Reason.SecretMissing) {
    return { field: fields.secret, message: condition.message, severity: 'error' };
  }
  if (keysInFiles === undefined) {
    return { field: fields.secret, message: condition.message, severity: 'warning' };
  }
  const has = keysInFiles.length === 0 ? 'it has no keys' : `its keys: ${keysInFiles.join(', ')}`;
  return {
    field: fields.key,
    message: `${condition.message} (${has}); ${fields.key} names the key that holds the secret`,
    severity: 'error',
  };
}

/** Where a kind names its Secret, and the key in it. */
export interface SecretFields {
  secret: string;
  key: string;
}

const CLIENT_SECRET_FIELDS: SecretFields = { secret: 'spec.secret', key: 'spec.secret.keys.clientSecret' };
const CONNECTION_SECRET_FIELDS: SecretFields = {
  secret: 'spec.clientSecretRef',
  key: 'spec.clientSecretRef.key',
};

function partProblem(part: string, object: DeclaredObject, context: ResolutionContext): ObjectProblem {
  const prefixed = FIELD_PREFIX.exec(part) ?? FIELD_SUBJECT.exec(part);
  if (prefixed !== null) {
    const [, field = '', rest = ''] = prefixed;
    const namespace = object.metadata.namespace;
    const target = context.objects.get(NOT_ALLOWED.exec(rest)?.[1] ?? '');
    if (
      target !== undefined &&
      !context.knownNamespaces.has(namespace) &&
      couldSelect('allowedNamespaces' in target.spec ? target.spec.allowedNamespaces : undefined, namespace)
    ) {
      return {
        field,
        message: `${rest}; the labels of namespace ${namespace} are unknown (no Namespace document among the given files), so the cluster may allow it`,
        severity: 'warning',
      };
    }
    // Offline only the scheme of a jwksUri is judged, and the operator's allow list may admit the host.
    const severity = field === 'spec.jwksUri' ? 'warning' : 'error';
    return { field, message: withHint(withOrigin(rest, context), context), severity };
  }
  const field = FIELD_OF_SUBJECT.find(([pattern]) => pattern.test(part))?.[1](object) ?? '';
  return { field, message: withOrigin(part, context), severity: 'error' };
}

/** `ResourceServer billing/api not found` → `…; did you mean namespace payments (api.yaml:1)?` (reference-hint.ts). */
function withHint(message: string, context: ResolutionContext): string {
  const missing = NOT_FOUND.exec(message);
  if (missing === null) return message;
  const [, kind = '', namespace = '', name = ''] = missing;
  const declared = [...context.objects.values()].map((o) => ({
    kind: o.kind,
    namespace: o.metadata.namespace,
    name: o.metadata.name,
    origin: o.origin,
  }));
  const hint = referenceHint({ kind, namespace, name }, declared);
  return hint === undefined ? message : `${message}; ${hint}`;
}

/** `… already used by ResourceServer payments/api` → `… (payments-api.yaml:3)`, so both ends can be found. */
function withOrigin(message: string, context: ResolutionContext): string {
  const held = HELD_BY.exec(message);
  if (held === null) return message;
  const origin = context.objects.get(held[1] ?? '')?.origin;
  return origin === undefined ? message : `${message} (${origin.file}:${origin.line})`;
}
