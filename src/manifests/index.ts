export type { NamespaceLabels } from './core-kinds.ts';
export { loadManifestDir, manifestFiles } from './load-dir.ts';
export { DEFAULT_NAMESPACE } from './metadata.ts';
export { parseManifests, type LoadedManifests } from './parse.ts';
export { formatProblem, objectLabel, type ManifestProblem } from './problem.ts';
