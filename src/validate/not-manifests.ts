import { isMap, isScalar } from 'yaml';
import type { SourceDocument } from '../manifests/yaml-source.ts';

// Every Kubernetes object has both; a manifest that lost one of them is still meant as one and is checked.
const OBJECT_KEYS: ReadonlySet<unknown> = new Set(['kind', 'metadata']);

/**
 * Why a YAML file is left out as not being manifests at all, or undefined when it is checked: a file whose
 * every document is a mapping with neither `kind` nor `metadata` at the top level, such as a Helm chart's
 * `values.yaml` or `Chart.yaml` kept beside the manifests it renders. Checking such a file could only fail
 * the pipeline over something no cluster will ever see; the caller says that it skipped it, so nothing
 * goes unnoticed. Empty files, lists and files with syntax errors are checked as before.
 */
export function notManifestsReason(documents: readonly SourceDocument[]): string | undefined {
  let mappings = 0;
  for (const { doc } of documents) {
    if (doc.errors.length > 0) return undefined;
    const contents = doc.contents;
    if (contents === null || (isScalar(contents) && contents.value === null)) continue;
    if (!isMap(contents)) return undefined;
    if (contents.items.some((pair) => isScalar(pair.key) && OBJECT_KEYS.has(pair.key.value)))
      return undefined;
    mappings += 1;
  }
  if (mappings === 0) return undefined;
  return "not a Kubernetes manifest: no document has kind or metadata at the top level (a Helm values.yaml, a Chart.yaml, another tool's configuration)";
}
