import { objectLabel, type ManifestProblem, type PathSegment } from '../manifests/problem.ts';
import { isFileRefusal } from '../manifests/limits.ts';
import { checkFile, combineFiles } from '../manifests/parse.ts';
import {
  documentLine,
  lineOfPath,
  parseYamlDocuments,
  type SourceDocument,
} from '../manifests/yaml-source.ts';
import type { SigningKeys } from '../keys/signing-keys.ts';
import { compile } from '../store/compile.ts';
import { objectKey } from '../store/objects.ts';
import { apiAccessOf, noApiProblem } from './api-access.ts';
import { notManifestsReason } from './not-manifests.ts';
import { devOnlyProblem } from './dev-only.ts';
import { offlineWorld } from './offline-world.ts';
import { resolutionProblems, type Severity } from './resolution-problems.ts';

export type { Severity } from './resolution-problems.ts';

/** A manifest file's text and the name problems give it. */
export interface ManifestText {
  file: string;
  text: string;
}

export interface ValidationProblem extends ManifestProblem {
  severity: Severity;
}

/** A file left out, and why (src/validate/not-manifests.ts). */
export interface SkippedFile {
  file: string;
  reason: string;
}

export interface ValidationResult {
  /** Files checked, not counting those skipped. */
  files: number;
  problems: ValidationProblem[];
  skipped: SkippedFile[];
}

// References are resolved without tokens: the snapshot's keys are never used.
const NO_KEYS: SigningKeys = { active: new Map(), published: [] };

/**
 * Checks manifests as a cluster with Latchkey would judge them once applied: each document against the
 * generated schemas (as dev mode does), then all of them together through the store's own compile, whose
 * `Ready=False` conditions become problems on the line of the field they are about.
 * Pure: the caller reads the files.
 * @example
 * const { problems } = validateManifests([{ file: 'billing.yaml', text }]);
 */
export function validateManifests(inputs: readonly ManifestText[]): ValidationResult {
  const sources = new Map<string, SourceDocument[]>();
  const skipped: SkippedFile[] = [];
  const loaded = combineFiles(
    inputs.flatMap(({ file, text }) => {
      const checked = checkFile(text, file);
      // A file refused for its size or document count is not parsed a second time for line numbers.
      if (checked.problems.some(isFileRefusal)) return [checked];
      const documents = parseYamlDocuments(text);
      const reason = notManifestsReason(documents);
      if (reason !== undefined) {
        skipped.push({ file, reason });
        return [];
      }
      sources.set(file, documents);
      return [checked];
    }),
  );
  const problems: ValidationProblem[] = loaded.problems.map((p) => ({ ...p, severity: 'error' }));

  const { resolutions } = compile(offlineWorld(loaded), NO_KEYS, 0);
  const context = {
    knownNamespaces: new Set(loaded.namespaces.map((n) => n.name)),
    objects: new Map(loaded.objects.map((o) => [`${o.kind} ${o.metadata.namespace}/${o.metadata.name}`, o])),
    secretKeys: new Map(loaded.secrets.map((s) => [`${s.namespace}/${s.name}`, Object.keys(s.data)])),
  };
  const apiAccess = apiAccessOf(loaded.objects);

  for (const object of loaded.objects) {
    const { kind, metadata } = object;
    const resolution = resolutions.get(objectKey(kind, metadata.namespace, metadata.name));
    const origin = object.origin;
    if (resolution === undefined || origin === undefined) continue;
    const source = sources.get(origin.file)?.find((s) => documentLine(s) === origin.line);
    const access = object.kind === 'OAuthClient' ? apiAccess.get(object) : undefined;
    const noApi = access === undefined ? undefined : noApiProblem(access);
    const devOnly = devOnlyProblem(object);
    for (const p of [
      ...resolutionProblems(object, resolution, context),
      ...(noApi ? [noApi] : []),
      ...(devOnly ? [devOnly] : []),
    ]) {
      problems.push({
        file: origin.file,
        line: source === undefined ? origin.line : lineOfPath(source, parsePath(p.field)),
        object: objectLabel(kind, metadata.namespace, metadata.name),
        field: p.field,
        message: p.message,
        severity: p.severity,
      });
    }
  }

  // In the order the files were given, then by line; problems on one line keep the order they were found in.
  const order = new Map(inputs.map((f, i) => [f.file, i]));
  problems.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || a.line - b.line);
  return { files: inputs.length - skipped.length, problems, skipped };
}

/** `spec.clients[0].roles[1]` → `['spec', 'clients', 0, 'roles', 1]`. */
export function parsePath(field: string): PathSegment[] {
  return [...field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map(([, key, index]) =>
    index !== undefined ? Number(index) : (key as string),
  );
}
