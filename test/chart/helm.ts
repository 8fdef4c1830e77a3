/**
 * helm for the chart tests: the pinned version that scripts/tools/build-helm.sh builds from its Go module into
 * the cache (or reuses), run as a child process. Rendering parses the output into plain objects.
 */
import { execFile } from 'node:child_process';
import { builtTool } from '../support/tool-build.ts';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { repoRoot } from '../integration/envtest.ts';

const execFileAsync = promisify(execFile);

export const chartDir = join(repoRoot, 'charts/latchkey');
export const buildScript = join(repoRoot, 'scripts/tools/build-helm.sh');
/** The documented modes: one values file each, in chart-testing's ci/ folder. */
export const modeValues = {
  namespaced: join(chartDir, 'ci/namespaced-values.yaml'),
  tlsSecret: join(chartDir, 'ci/tls-secret-values.yaml'),
  tlsCertManager: join(chartDir, 'ci/tls-cert-manager-values.yaml'),
  ingress: join(chartDir, 'ci/ingress-values.yaml'),
  networkPolicy: join(chartDir, 'ci/network-policy-values.yaml'),
  serviceMonitor: join(chartDir, 'ci/service-monitor-values.yaml'),
  monitoring: join(chartDir, 'ci/monitoring-values.yaml'),
} as const;
export type Mode = keyof typeof modeValues;

/** The first build takes minutes (Go compiles helm); afterwards the script answers at once. */
export const HELM_BUILD_TIMEOUT_MS = 20 * 60_000;

/** The path of the pinned helm binary, built on first use. Throws with the script's output when it fails. */
export const helmBinary = builtTool(buildScript, repoRoot, '[tools/build-helm]');

export interface RenderOptions {
  /** Values files (-f), in order. */
  values?: string[];
  /** --set-json key=JSON pairs: the exact types, with no guessing of helm's --set parser. */
  set?: Record<string, unknown>;
  namespace?: string;
  releaseName?: string;
  /** Only these templates (--show-only), e.g. 'templates/rbac.yaml'. */
  showOnly?: string[];
}

/** The release, the chart and its values: what `helm template` and `helm install` take alike. */
function releaseArgs(options: Omit<RenderOptions, 'showOnly'>): string[] {
  const args = [
    options.releaseName ?? 'latchkey',
    chartDir,
    '--namespace',
    options.namespace ?? 'latchkey-system',
  ];
  for (const file of options.values ?? []) args.push('--values', file);
  for (const [key, value] of Object.entries(options.set ?? {}))
    args.push('--set-json', `${key}=${JSON.stringify(value)}`);
  return args;
}

function templateArgs(options: RenderOptions): string[] {
  const args = ['template', ...releaseArgs(options)];
  for (const template of options.showOnly ?? []) args.push('--show-only', template);
  return args;
}

/** A rendered Kubernetes object, as far as the tests look into it. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/** `helm template` as YAML text. */
export async function renderText(options: RenderOptions = {}): Promise<string> {
  const { stdout } = await execFileAsync(await helmBinary(), templateArgs(options), {
    maxBuffer: 32 * 1024 * 1024,
  });
  return stdout;
}

/** `helm template` as objects (empty documents dropped). */
export async function render(options: RenderOptions = {}): Promise<Manifest[]> {
  return parseAllDocuments(await renderText(options))
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((o): o is Manifest => o !== null);
}

/**
 * NOTES.txt as the release would show it. `helm template` never renders NOTES; `helm install --dry-run=client`
 * does, without contacting a cluster, and its JSON output keeps the notes apart from the manifests.
 */
export async function renderNotes(options: Omit<RenderOptions, 'showOnly'> = {}): Promise<string> {
  const args = ['install', ...releaseArgs(options), '--dry-run=client', '--output', 'json'];
  const { stdout } = await execFileAsync(await helmBinary(), args, { maxBuffer: 32 * 1024 * 1024 });
  return (JSON.parse(stdout) as { info: { notes: string } }).info.notes;
}

/** What `helm template` prints on stderr when it refuses the values; throws when it renders. */
export async function renderError(options: RenderOptions): Promise<string> {
  try {
    await execFileAsync(await helmBinary(), templateArgs(options));
  } catch (error) {
    return (error as { stderr: string }).stderr;
  }
  throw new Error(`helm template accepted ${JSON.stringify(options)}`);
}

/** `helm lint --strict` (warnings fail too); resolves with the exit code and the output. */
export async function lint(values: string[] = []): Promise<{ code: number; output: string }> {
  const args = ['lint', '--strict', chartDir];
  for (const file of values) args.push('--values', file);
  try {
    const { stdout, stderr } = await execFileAsync(await helmBinary(), args);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

/** The one object of `kind` (and `name`, when given); throws when there is not exactly one. */
export function one(objects: Manifest[], kind: string, name?: string): Manifest {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1)
    throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0] as Manifest;
}

/** `Kind namespace/name` of every object, sorted: what a release creates, at a glance. */
export function inventory(objects: Manifest[]): string[] {
  return objects.map((o) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();
}
