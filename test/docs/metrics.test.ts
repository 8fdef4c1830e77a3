/**
 * docs/metrics.md lists exactly the metrics the code registers, with their types and labels (issue 16, item 4):
 * the registries are the real ones, made by the functions the operator and dev mode call, and dev mode itself
 * is started and scraped to check which metrics it serves.
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDevArgs } from '../../src/dev/config.ts';
import { startDev, type DevServer } from '../../src/dev/run.ts';
import { EventBus } from '../../src/events.ts';
import { registerKeyMetrics } from '../../src/keys/key-metrics.ts';
import { DEFAULT_ROTATION } from '../../src/keys/signing-key-rotation.ts';
import { createControllerMetrics } from '../../src/operator/controller-metrics.ts';
import { createMetrics } from '../../src/server/metrics.ts';
import { openEmbeddedState } from '../../src/state/embedded/embedded-state.ts';
import { StateHealth } from '../../src/state/health.ts';
import { registerStateMetrics } from '../../src/state/state-metrics.ts';
import { registerStoreMetrics } from '../../src/store/store-metrics.ts';
import { documentedMetrics, type Described } from '../support/metrics-doc.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const DEFAULT_PREFIXES = ['process_', 'nodejs_'];
const isDefault = (name: string) => DEFAULT_PREFIXES.some((p) => name.startsWith(p));

/** What prom-client's metric objects hold besides what its types declare. */
interface RegisteredMetric {
  name: string;
  type: string;
  labelNames?: string[];
}

/** Every metric the real registries hold, as the operator (with each backend) and dev mode build them. */
async function registeredMetrics(): Promise<Map<string, { type: string; labels: string[] }>> {
  const events = new EventBus();
  const clock = () => 0;
  // The server's own, with the in-memory revocation list (`--state memory`).
  const server = createMetrics(events, { revocations: { size: () => 0 } });
  const registry = server.registry;
  // With a runtime state backend.
  const state = await openEmbeddedState({ path: ':memory:', clock });
  registerStateMetrics(registry, state, new StateHealth(state.backend, clock, () => undefined));
  registerStoreMetrics(registry, () => new Map());
  registerKeyMetrics(registry, { ring: () => undefined, now: clock, schedule: DEFAULT_ROTATION });
  createControllerMetrics(registry);
  const out = new Map<string, { type: string; labels: string[] }>();
  for (const metric of registry.getMetricsAsArray() as unknown as RegisteredMetric[]) {
    out.set(metric.name, { type: metric.type, labels: [...(metric.labelNames ?? [])].sort() });
  }
  server.close();
  await state.close();
  return out;
}

let dir: string;
let dev: DevServer;
let docs: Map<string, Described>;
let registered: Map<string, { type: string; labels: string[] }>;
let served: Map<string, string>;

beforeAll(async () => {
  docs = documentedMetrics(await readFile(join(ROOT, 'docs/metrics.md'), 'utf8'));
  registered = await registeredMetrics();
  dir = await mkdtemp(join(tmpdir(), 'latchkey-metrics-doc-'));
  await cp(join(ROOT, 'examples'), join(dir, 'manifests'), { recursive: true });
  const argv = ['--manifests', join(dir, 'manifests'), '--state-dir', join(dir, 'state')];
  dev = await startDev(
    parseDevArgs([...argv, '--port', '0', '--ops-port', '0', '--no-watch'], dir),
    new EventBus(),
  );
  const text = await (await fetch(`http://127.0.0.1:${dev.opsPort}/metrics`)).text();
  served = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1] as string, m[2] as string]));
});

afterAll(async () => {
  await dev?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('docs/metrics.md', () => {
  it('documents every metric the code registers, and no other', () => {
    const names = [...registered.keys()].filter((n) => !isDefault(n)).sort();
    expect([...docs.keys()].sort()).toEqual(names);
  });

  it('gives each metric its registered type and labels', () => {
    for (const [name, { type, labels }] of registered) {
      if (isDefault(name)) continue;
      expect({ name, type: docs.get(name)?.type, labels: docs.get(name)?.labels }).toEqual({
        name,
        type,
        labels,
      });
    }
  });

  it('says which metrics dev mode serves: those it lists under dev', () => {
    const devNames = [...served.keys()].filter((n) => !isDefault(n)).sort();
    const documentedForDev = [...docs].filter(([, d]) => d.where.split(', ').includes('dev')).map(([n]) => n);
    expect(devNames).toEqual(documentedForDev.sort());
    for (const name of devNames)
      expect({ name, type: served.get(name) }).toEqual({ name, type: docs.get(name)?.type });
  });

  it('covers the default process metrics by their prefixes', async () => {
    const page = await readFile(join(ROOT, 'docs/metrics.md'), 'utf8');
    for (const prefix of DEFAULT_PREFIXES) expect(page).toContain(`\`${prefix}*\``);
    expect([...served.keys()].filter((n) => !n.startsWith('latchkey_') && !isDefault(n))).toEqual([]);
  });

  it('lists every latchkey_ metric name the source mentions', async () => {
    const { execFileSync } = await import('node:child_process');
    const grep = execFileSync('grep', ['-rhoE', "name: 'latchkey_[a-z_]+'", join(ROOT, 'src')], {
      encoding: 'utf8',
    });
    const inSource = [
      ...new Set(
        grep
          .split('\n')
          .filter(Boolean)
          .map((l) => l.slice(7, -1)),
      ),
    ].sort();
    expect(inSource.filter((n) => !docs.has(n))).toEqual([]);
  });

  it('links the alerts and the dashboard', async () => {
    const page = await readFile(join(ROOT, 'docs/metrics.md'), 'utf8');
    expect(page).toContain('## Alerts');
    expect(page).toContain('## Dashboard');
    expect(page).toContain('](images/dashboard.svg)');
  });
});
