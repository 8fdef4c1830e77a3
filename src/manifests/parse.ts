import { API_VERSION, GROUP } from '../api/common.ts';
import { KIND_NAMES, kindDefinition, type KindName } from '../api/kinds.ts';
import type { DeclaredObject, Origin, SecretData } from '../store/objects.ts';
import { checkNamespace, checkSecret, type NamespaceLabels } from './core-kinds.ts';
import { validateAgainstCrd } from './crd-validation.ts';
import { DEFAULT_MANIFEST_LIMITS, documentCountRefusal, type ManifestLimits } from './limits.ts';
import { describeValue } from './messages.ts';
import { checkMetadata, DEFAULT_NAMESPACE, isRecord } from './metadata.ts';
import {
  formatPath,
  objectLabel,
  type FieldError,
  type ManifestProblem,
  type PathSegment,
} from './problem.ts';
import { documentLine, lineAt, lineOfPath, yamlDocuments, type SourceDocument } from './yaml-source.ts';

/** What a set of manifests declares, and every reason some of it could not be used. */
export interface LoadedManifests {
  objects: DeclaredObject[];
  /** v1 Secrets, which dev mode treats as existing in the cluster. */
  secrets: SecretData[];
  /** v1 Namespaces, for the labels `allowedNamespaces` selects on. */
  namespaces: NamespaceLabels[];
  problems: ManifestProblem[];
}

type Declaration =
  | { type: 'object'; value: DeclaredObject }
  | { type: 'secret'; value: SecretData }
  | { type: 'namespace'; value: NamespaceLabels };

interface Declared {
  /** Identity across all files: kind, namespace and name. */
  key: string;
  label: string;
  origin: Origin;
  declaration: Declaration;
}

/** The outcome of one file, before duplicates across files are resolved. */
export interface FileManifests {
  file: string;
  declared: Declared[];
  problems: ManifestProblem[];
}

const SUPPORTED = `${API_VERSION} ${KIND_NAMES.join(', ')}; v1 Secret, Namespace`;

/**
 * Reads every YAML document of one file and checks each as the API server would (`kubectl apply` with
 * strict field validation), then applies defaults and the cross-field rules of the kind's schema.
 * A bad document is reported and skipped; the others are still returned.
 * @example
 * const { objects, problems } = parseManifests(await readFile(path, 'utf8'), path);
 * for (const p of problems) console.error(formatProblem(p));
 */
export function parseManifests(
  text: string,
  file: string,
  limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS,
): LoadedManifests {
  return combineFiles([checkFile(text, file, limits)]);
}

export function checkFile(
  text: string,
  file: string,
  limits: ManifestLimits = DEFAULT_MANIFEST_LIMITS,
): FileManifests {
  const result: FileManifests = { file, declared: [], problems: [] };
  for (const source of yamlDocuments(text)) {
    if (!addDocument(result, source, limits)) break;
  }
  return result;
}

/**
 * {@link checkFile} that hands the event loop back after each document (`yieldNow`), so a server in the same
 * process keeps answering while a large file loads.
 */
export async function checkFileYielding(
  text: string,
  file: string,
  limits: ManifestLimits,
  yieldNow: () => Promise<void>,
): Promise<FileManifests> {
  const result: FileManifests = { file, declared: [], problems: [] };
  for (const source of yamlDocuments(text)) {
    if (!addDocument(result, source, limits)) break;
    await yieldNow();
  }
  return result;
}

/** Checks one document into `result`; false once the file has too many, which then declares nothing. */
function addDocument(result: FileManifests, source: SourceDocument, limits: ManifestLimits): boolean {
  if (source.index > limits.maxDocumentsPerFile) {
    result.declared = [];
    result.problems = [documentCountRefusal(result.file, limits)];
    return false;
  }
  const outcome = checkDocument(source, result.file);
  if (outcome.declared !== undefined) result.declared.push(outcome.declared);
  result.problems.push(...outcome.problems);
  return true;
}

/**
 * Merges per-file outcomes in order. An object declared twice is a problem on the later declaration; the
 * first one wins, so a stray copy cannot silently replace what was there.
 */
export function combineFiles(files: readonly FileManifests[]): LoadedManifests {
  const result: LoadedManifests = { objects: [], secrets: [], namespaces: [], problems: [] };
  const first = new Map<string, Origin>();
  for (const { declared, problems } of files) {
    const fileProblems = [...problems];
    for (const d of declared) {
      const earlier = first.get(d.key);
      if (earlier !== undefined) {
        fileProblems.push({
          file: d.origin.file,
          line: d.origin.line,
          object: d.label,
          field: '',
          message: `duplicate: ${d.label} is already declared at ${earlier.file}:${earlier.line}; this one is ignored`,
        });
        continue;
      }
      first.set(d.key, d.origin);
      if (d.declaration.type === 'object') result.objects.push(d.declaration.value);
      else if (d.declaration.type === 'secret') result.secrets.push(d.declaration.value);
      else result.namespaces.push(d.declaration.value);
    }
    result.problems.push(...fileProblems.sort((a, b) => a.line - b.line));
  }
  return result;
}

interface DocumentOutcome {
  declared?: Declared;
  problems: ManifestProblem[];
}

function checkDocument(source: SourceDocument, file: string): DocumentOutcome {
  const unnamed = `document ${source.index}`;
  if (source.doc.errors.length > 0) {
    return {
      problems: source.doc.errors.map((e) => ({
        file,
        line: lineAt(source, e.pos[0]),
        object: unnamed,
        field: '',
        message: `YAML syntax error: ${e.message}`,
      })),
    };
  }
  let value: unknown;
  try {
    value = source.doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const message = `cannot read the document: ${error instanceof Error ? error.message : String(error)}`;
    return { problems: [{ file, line: documentLine(source), object: unnamed, field: '', message }] };
  }
  // An empty document (a stray `---`, only comments) declares nothing, as with kubectl.
  if (value === null || value === undefined) return { problems: [] };

  const origin: Origin = { file, line: documentLine(source) };
  const label = labelOf(value, unnamed);
  const report = (errors: FieldError[]): DocumentOutcome => ({
    problems: errors.map((e) => ({
      file,
      line: lineOfPath(source, e.path),
      object: label,
      field: formatPath(e.path),
      message: e.message,
    })),
  });

  if (!isRecord(value)) {
    return report([
      {
        path: [],
        message: `a manifest must be a mapping with apiVersion, kind and metadata, got ${describeValue(value)}`,
      },
    ]);
  }
  const headErrors = [stringField(value, 'apiVersion'), stringField(value, 'kind')].filter(
    (e) => e !== undefined,
  );
  if (headErrors.length > 0) return report(headErrors);
  const apiVersion = value.apiVersion as string;
  const kind = value.kind as string;

  const checked = checkByKind(apiVersion, kind, value, origin);
  if (checked.errors.length > 0 || checked.declaration === undefined) return report(checked.errors);
  const key = `${kind}/${checked.namespace}/${checked.name}`;
  return { declared: { key, label, origin, declaration: checked.declaration }, problems: [] };
}

interface CheckedDocument {
  errors: FieldError[];
  declaration?: Declaration;
  namespace?: string;
  name?: string;
}

function checkByKind(
  apiVersion: string,
  kind: string,
  value: Record<string, unknown>,
  origin: Origin,
): CheckedDocument {
  if (isLatchkeyKind(kind)) return checkLatchkeyObject(apiVersion, kind, value, origin);
  if (apiVersion === 'v1' && kind === 'Secret') {
    const { value: secret, errors } = checkSecret(value);
    return secret === undefined
      ? { errors }
      : {
          errors,
          declaration: { type: 'secret', value: secret },
          namespace: secret.namespace,
          name: secret.name,
        };
  }
  if (apiVersion === 'v1' && kind === 'Namespace') {
    const { value: ns, errors } = checkNamespace(value);
    return ns === undefined
      ? { errors }
      : { errors, declaration: { type: 'namespace', value: ns }, namespace: '', name: ns.name };
  }
  // An application's folder holds its Deployment and ServiceAccount beside its OAuthClient; those belong to
  // other controllers and are none of ours to check. In our own group an unknown kind is a mistake.
  if (!apiVersion.startsWith(`${GROUP}/`)) return { errors: [] };
  return {
    errors: [
      {
        path: ['kind'],
        message: `unsupported kind ${JSON.stringify(kind)} (apiVersion ${JSON.stringify(apiVersion)}); supported here: ${SUPPORTED}`,
      },
    ],
  };
}

function checkLatchkeyObject(
  apiVersion: string,
  kind: KindName,
  value: Record<string, unknown>,
  origin: Origin,
): CheckedDocument {
  const definition = kindDefinition(kind);
  if (definition === undefined) throw new Error(`no definition for kind ${kind}`);
  const errors: FieldError[] = [];
  if (apiVersion !== API_VERSION) {
    errors.push({
      path: ['apiVersion'],
      message: `must be ${API_VERSION} for kind ${kind} (got ${describeValue(apiVersion)})`,
    });
  }
  const { meta, errors: metaErrors } = checkMetadata(value.metadata, { name: 'subdomain', namespaced: true });
  errors.push(...metaErrors);
  const schemaErrors = validateAgainstCrd(kind, value);
  errors.push(...schemaErrors);
  // Only a spec of the right shape can be judged by the cross-field rules, which assume the types.
  if (schemaErrors.length > 0) return { errors };
  const parsed = definition.spec.safeParse(value.spec);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      errors.push({ path: ['spec', ...issue.path.map(toSegment)], message: issue.message });
    }
  }
  if (errors.length > 0 || meta === undefined || !parsed.success) return { errors };
  // The kind and spec type agree by construction: KINDS pairs each kind name with its schema.
  const object = { kind, metadata: meta, spec: parsed.data, origin } as DeclaredObject;
  return {
    errors,
    declaration: { type: 'object', value: object },
    namespace: meta.namespace,
    name: meta.name,
  };
}

function isLatchkeyKind(kind: string): kind is KindName {
  return (KIND_NAMES as readonly string[]).includes(kind);
}

function toSegment(key: PropertyKey): PathSegment {
  return typeof key === 'number' ? key : String(key);
}

function stringField(value: Record<string, unknown>, field: 'apiVersion' | 'kind'): FieldError | undefined {
  const v = value[field];
  if (v === undefined || v === null || v === '')
    return { path: [field], message: `missing required field "${field}"` };
  if (typeof v !== 'string') return { path: [field], message: `must be a string, got ${describeValue(v)}` };
  return undefined;
}

/** `OAuthClient billing/billing-worker`, `Namespace billing`, or `fallback` when the document names nothing. */
function labelOf(value: unknown, fallback: string): string {
  if (!isRecord(value) || typeof value.kind !== 'string' || !isRecord(value.metadata)) return fallback;
  const { name, namespace } = value.metadata;
  if (typeof name !== 'string' || name === '') return fallback;
  if (value.kind === 'Namespace' && value.apiVersion === 'v1')
    return objectLabel('Namespace', undefined, name);
  const ns = typeof namespace === 'string' && namespace !== '' ? namespace : DEFAULT_NAMESPACE;
  return objectLabel(value.kind, ns, name);
}
