export type { NamespaceLabels } from './core-kinds.ts';
export { DEFAULT_MANIFEST_LIMITS, isFileRefusal, readRefusal, type ManifestLimits } from './limits.ts';
export { loadManifestDir, manifestFiles } from './load-dir.ts';
export { DEFAULT_NAMESPACE } from './metadata.ts';
export { checkFileYielding, combineFiles, parseManifests, type LoadedManifests } from './parse.ts';
export { formatProblem, objectLabel, type ManifestProblem } from './problem.ts';
