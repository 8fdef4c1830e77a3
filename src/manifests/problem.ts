/** A key of a mapping or an index into a list, from the document root down to a field. */
export type PathSegment = string | number;

/** Something wrong with one field of one document, found before it reaches the cluster. */
export interface FieldError {
  /** Path from the document root; `[]` for the whole document. */
  path: PathSegment[];
  message: string;
}

/** A reason a manifest file, or one object in it, cannot be used as written. */
export interface ManifestProblem {
  file: string;
  /** 1-based line of the offending field, or of its nearest parent that exists. */
  line: number;
  /** `OAuthClient/billing/billing-worker` (see objectLabel), or `document 3` when the document names no object. */
  object: string;
  /** Dotted path such as `spec.grants[0].scopes[1]`; `''` for the whole document. */
  field: string;
  message: string;
}

/**
 * One line a person can act on, as compilers print them.
 * @example formatProblem(p) // 'clients.yaml:12: OAuthClient/billing/worker: spec.appType: must be one of …'
 */
export function formatProblem(p: ManifestProblem): string {
  return p.field === ''
    ? `${p.file}:${p.line}: ${p.object}: ${p.message}`
    : `${p.file}:${p.line}: ${p.object}: ${p.field}: ${p.message}`;
}

/**
 * How a problem names an object: `kind/namespace/name` (`kind/name` for cluster-scoped ones), one token that
 * tools can split and people can search for.
 * @example objectLabel('OAuthClient', 'billing', 'worker') // 'OAuthClient/billing/worker'
 */
export function objectLabel(kind: string, namespace: string | undefined, name: string): string {
  return namespace === undefined ? `${kind}/${name}` : `${kind}/${namespace}/${name}`;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `['spec', 'grants', 0, 'scopes']` → `spec.grants[0].scopes`; keys that are not identifiers are quoted. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}
