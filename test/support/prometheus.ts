/**
 * Prometheus and promtool for the metrics tests: the pinned versions scripts/tools/build-prometheus.sh builds
 * from their Go module into the cache (or reuses), and a Prometheus server run as a child process.
 */
import { execFile } from 'node:child_process';
import { builtTool } from './tool-build.ts';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../integration/envtest.ts';
import {
  freePort,
  makeTempDir,
  removeTempDir,
  startManaged,
  stopManaged,
  waitUntil,
} from './managed-process.ts';

const execFileAsync = promisify(execFile);
const buildScript = join(repoRoot, 'scripts/tools/build-prometheus.sh');

/** The first build takes several minutes on 2 cores (more with a cold Go cache); afterwards the script answers at once. */
export const PROMETHEUS_BUILD_TIMEOUT_MS = 30 * 60_000;

/** The folder holding `prometheus` and `promtool`, built on first use. Throws with the script's output when it fails. */
export const prometheusTools = builtTool(buildScript, repoRoot, '[tools/build-prometheus]');

/** Runs promtool; resolves with its exit code and combined output (a failing check is not an exception). */
export async function promtool(args: string[], cwd?: string): Promise<{ code: number; output: string }> {
  const bin = join(await prometheusTools(), 'promtool');
  try {
    const { stdout, stderr } = await execFileAsync(bin, args, { cwd, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

export interface RunningPrometheus {
  url: string;
  /** `GET /api/v1/query_range`: the matrix of `expr` from `start` to `end` (seconds) every `step` seconds. */
  queryRange(expr: string, start: number, end: number, step: number): Promise<RangeSeries[]>;
  /** `GET /api/v1/alerts`: the alerts pending or firing now. */
  alerts(): Promise<{ labels: Record<string, string>; state: string }[]>;
  stop(): Promise<void>;
}

export interface RangeSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

export interface PrometheusOptions {
  /** `host:port` to scrape every `scrapeInterval`, with these target labels. */
  target: string;
  targetLabels: Record<string, string>;
  scrapeInterval: string;
  /** Rules files' contents (YAML), loaded with `rule_files`. */
  rules?: string[];
}

/** Starts a Prometheus server on a free loopback port, scraping one target, with a TSDB in a temp folder. */
export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const bin = join(await prometheusTools(), 'prometheus');
  const dir = await makeTempDir('latchkey-prometheus-');
  const ruleFiles: string[] = [];
  for (const [i, rules] of (options.rules ?? []).entries()) {
    const file = join(dir, `rules-${i}.yaml`);
    await writeFile(file, rules);
    ruleFiles.push(file);
  }
  const config = {
    global: { scrape_interval: options.scrapeInterval, evaluation_interval: options.scrapeInterval },
    rule_files: ruleFiles,
    scrape_configs: [
      {
        job_name: options.targetLabels['job'] ?? 'latchkey',
        static_configs: [{ targets: [options.target], labels: options.targetLabels }],
      },
    ],
  };
  await writeFile(join(dir, 'prometheus.yml'), JSON.stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = startManaged({
    name: 'prometheus',
    binary: bin,
    args: [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    logPath: join(dir, 'prometheus.log'),
    tempDir: dir,
  });
  await waitUntil(
    server,
    { timeoutMs: 30_000, intervalMs: 100, before: 'it was ready', didNot: 'become ready' },
    async () => (await fetch(`${url}/-/ready`)).ok,
  );
  const api = async <T>(path: string, params: Record<string, string>): Promise<T> => {
    const res = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path} ${JSON.stringify(params)}: ${body.error}`);
    return body.data;
  };
  return {
    url,
    async queryRange(expr, start, end, step) {
      const data = await api<{ result: RangeSeries[] }>('/api/v1/query_range', {
        query: expr,
        start: String(start),
        end: String(end),
        step: String(step),
      });
      return data.result;
    },
    async alerts() {
      return (
        await api<{ alerts: { labels: Record<string, string>; state: string }[] }>('/api/v1/alerts', {})
      ).alerts;
    },
    async stop() {
      await stopManaged(server, 'SIGTERM');
      await removeTempDir(dir);
    },
  };
}
