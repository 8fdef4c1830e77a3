/**
 * What Argo CD and Flux see when they sync Latchkey's manifests with server-side apply: nothing to do after
 * the first sync, whoever applies, because the operator writes status through the status subresource only.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMap, parseAllDocuments } from 'yaml';
import { API_VERSION } from '../../src/api/common.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { manifestFiles } from '../../src/manifests/index.ts';
import { DEV_ONLY_SCENARIOS } from '../examples/dev-only.ts';
import { repoRoot } from './envtest.ts';
import {
  conditionOf,
  createCorpSsoSecret,
  eventually,
  operator,
  startCluster,
  startUpstreamIssuer,
  type Cluster,
  type Operator,
  type UpstreamIssuer,
} from './operator-harness.ts';

interface ManagedFieldsEntry {
  manager: string;
  operation: string;
  subresource?: string;
  fieldsV1?: Record<string, unknown>;
}

interface LiveObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion: string;
    generation?: number;
    managedFields?: ManagedFieldsEntry[];
  };
  spec?: unknown;
  status?: unknown;
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(cluster: Cluster, args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(
      'kubectl',
      ['--kubeconfig', cluster.cp.kubeconfigPath, ...args],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr }),
    );
  });
}

/**
 * Secrets with `data` instead of `stringData`. The API server folds stringData into data, so a second
 * manager's apply of stringData always conflicts with the first's (a property of Kubernetes, not of
 * Latchkey): GitOps repositories that apply server-side with more than one manager must use data.
 */
function stringDataAsData(text: string): string {
  const docs = parseAllDocuments(text);
  for (const doc of docs) {
    const stringData = doc.get('stringData');
    if (doc.get('kind') !== 'Secret' || !isMap(stringData)) continue;
    for (const pair of stringData.items) {
      doc.setIn(['data', String(pair.key)], Buffer.from(String(pair.value)).toString('base64'));
    }
    doc.delete('stringData');
  }
  return docs.map((d) => d.toString()).join('---\n');
}

const idOf = (o: LiveObject) => `${o.kind} ${o.metadata.namespace ?? ''}/${o.metadata.name}`;
const byId = (items: LiveObject[]) => new Map(items.map((o) => [idOf(o), o]));

describe('GitOps server-side apply of the examples (real kube-apiserver, operator running)', () => {
  let cluster: Cluster | undefined;
  let op: Operator | undefined;
  let upstream: UpstreamIssuer | undefined;
  let dir: string | undefined;
  const temporary: string[] = [];

  const c = () => cluster as Cluster;
  const apply = (manager: string) =>
    kubectl(c(), ['apply', '--server-side', '--field-manager', manager, '-R', '-f', dir as string]);
  const diff = (manager: string) =>
    kubectl(c(), ['diff', '--server-side', '--field-manager', manager, '-R', '-f', dir as string]);
  /** Every object the files declare, as the API server holds it now. */
  const live = async (): Promise<LiveObject[]> => {
    const got = await kubectl(c(), ['get', '-R', '-f', dir as string, '-o', 'json', '--show-managed-fields']);
    expect(got.stderr).toBe('');
    const parsed = JSON.parse(got.stdout) as LiveObject | { items: LiveObject[] };
    return 'items' in parsed ? parsed.items : [parsed];
  };
  const latchkeyObjects = (items: LiveObject[]) => items.filter((o) => o.apiVersion === API_VERSION);

  beforeAll(async () => {
    cluster = await startCluster();
    // The oidc Connection needs an issuer that answers, or it never settles: Latchkey's own dev mode.
    upstream = await startUpstreamIssuer();
    // A copy, so that examples/ may be reorganised in sub-folders without this test knowing their names.
    dir = await mkdtemp(join(tmpdir(), 'latchkey-gitops-'));
    temporary.push(dir);
    // Without the dev-only scenarios: the operator refuses their test Connection by design
    // (examples-scenarios.test.ts proves it), and here every object must settle Ready.
    const devOnly = new Set(DEV_ONLY_SCENARIOS.map((s) => join(repoRoot, 'examples', s)));
    await cp(join(repoRoot, 'examples'), dir, { recursive: true, filter: (src) => !devOnly.has(src) });
    for (const file of await manifestFiles(dir)) {
      const text = (await readFile(file, 'utf8')).replaceAll('https://sso.example.com', upstream.issuer);
      await writeFile(file, stringDataAsData(text));
    }
    op = await operator(cluster);
    await op.whenReady();
  });

  afterAll(async () => {
    await op?.close();
    await upstream?.close();
    await cluster?.stop();
    for (const d of temporary) await rm(d, { recursive: true, force: true });
  });

  let settled: Map<string, LiveObject>;

  it(
    'applies the examples as Argo CD does, and the operator makes every object Ready',
    { timeout: 120_000 },
    async () => {
      const first = await apply('argocd');
      expect(first.stderr).toBe('');
      expect(first.code).toBe(0);
      // Not in Git: examples/oidc-connection/README.md has you create it beside the manifests.
      await createCorpSsoSecret(cluster as Cluster);
      const applied = first.stdout.trim().split('\n');
      expect(applied.length).toBeGreaterThan(0);
      for (const line of applied) expect(line).toMatch(/ serverside-applied$/);

      const items = await eventually(
        live,
        (objects) =>
          latchkeyObjects(objects).every((o) => {
            const ready = conditionOf(o as unknown as KubeObject);
            return ready?.status === 'True' && ready.observedGeneration === o.metadata.generation;
          }),
        'every Latchkey object of the examples Ready for its generation',
        90_000,
      );
      expect(latchkeyObjects(items).length).toBeGreaterThan(0);
      // The baseline is a state nobody writes any more: the same resourceVersions a second apart.
      const versions = (objects: LiveObject[]) =>
        objects.map((o) => `${idOf(o)}@${o.metadata.resourceVersion}`);
      let previous = versions(items);
      await eventually(
        async () => {
          await new Promise((r) => setTimeout(r, 1000));
          const now = await live();
          const same = versions(now).join() === previous.join();
          previous = versions(now);
          settled = byId(now);
          return same;
        },
        (same) => same,
        'the objects of the examples stop changing',
      );
    },
  );

  it('has nothing to change on the second sync by Argo CD: kubectl diff is empty, no object is written', async () => {
    expect(await diff('argocd')).toEqual({ code: 0, stdout: '', stderr: '' });
    const second = await apply('argocd');
    expect(second).toMatchObject({ code: 0, stderr: '' });
    const after = byId(await live());
    expect([...after.keys()].sort()).toEqual([...settled.keys()].sort());
    for (const [id, o] of after) {
      expect(o.metadata.resourceVersion, `${id} was written`).toBe(settled.get(id)?.metadata.resourceVersion);
    }
  });

  it('lets Flux apply the same manifests beside Argo CD without a conflict and without changing a spec', async () => {
    expect(await diff('flux')).toEqual({ code: 0, stdout: '', stderr: '' });
    const third = await apply('flux');
    expect(third).toMatchObject({ code: 0, stderr: '' });
    const after = byId(await live());
    for (const [id, o] of after) {
      const before = settled.get(id) as LiveObject;
      expect(o.metadata.generation, id).toBe(before.metadata.generation);
      expect(o.spec, id).toEqual(before.spec);
      // Same values from a second manager: both now own the same fields (shared ownership, no conflict).
      const entries = o.metadata.managedFields ?? [];
      const argocd = entries.find((e) => e.manager === 'argocd' && e.operation === 'Apply');
      const flux = entries.find((e) => e.manager === 'flux' && e.operation === 'Apply');
      expect(flux?.fieldsV1, id).toEqual(argocd?.fieldsV1);
    }
    settled = after;

    // And from then on either tool finds nothing to do.
    for (const manager of ['flux', 'argocd']) {
      expect(await diff(manager)).toEqual({ code: 0, stdout: '', stderr: '' });
      expect(await apply(manager)).toMatchObject({ code: 0, stderr: '' });
    }
    for (const [id, o] of byId(await live())) {
      expect(o.metadata.resourceVersion, `${id} was written`).toBe(settled.get(id)?.metadata.resourceVersion);
    }
  });

  it('never writes a spec: the latchkey manager owns only status, through the status subresource', async () => {
    const items = latchkeyObjects(await live());
    for (const o of items) {
      const id = idOf(o);
      expect(o.metadata.generation, `${id}: a spec change would have raised the generation`).toBe(1);
      const entries = o.metadata.managedFields ?? [];
      const writers = entries.map((e) => `${e.manager} ${e.operation} ${e.subresource ?? ''}`.trim());
      // Only the GitOps tools apply the object; Latchkey writes through the status subresource alone.
      expect(
        writers.filter((w) => !['argocd Apply', 'flux Apply', 'latchkey Update status'].includes(w)),
        id,
      ).toEqual([]);
      expect(writers, id).toContain('latchkey Update status');
      for (const e of entries.filter((x) => x.manager === 'latchkey')) {
        expect(Object.keys(e.fieldsV1 ?? {}), id).toEqual(['f:status']);
      }
    }
  });
});
