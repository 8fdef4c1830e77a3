import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadManifestDir, manifestFiles } from '../../src/manifests/index.ts';

const connection = (name: string, type = 'kubernetes') => `apiVersion: latchkey.dev/v1alpha1
kind: Connection
metadata: {name: ${name}, namespace: platform}
spec: {type: ${type}, issuer: "https://issuer.example"}
`;

describe('loadManifestDir', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-manifests-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function write(relative: string, text: string): Promise<void> {
    await mkdir(join(dir, relative, '..'), { recursive: true });
    await writeFile(join(dir, relative), text);
  }

  it('reads *.yaml and *.yml recursively in sorted order, skipping dot-folders and other files', async () => {
    await write('b.yaml', connection('b'));
    await write('a/z.yml', connection('az'));
    await write('a/a.yaml', connection('aa'));
    await write('.git/x.yaml', connection('git'));
    await write('a/.cache/y.yaml', connection('cache'));
    await write('README.md', 'not a manifest');
    await write('c.yaml.bak', connection('bak'));

    expect(await manifestFiles(dir)).toEqual([
      join(dir, 'a/a.yaml'),
      join(dir, 'a/z.yml'),
      join(dir, 'b.yaml'),
    ]);
    const result = await loadManifestDir(dir);
    expect(result.problems).toEqual([]);
    expect(result.objects.map((o) => [o.metadata.name, o.origin])).toEqual([
      ['aa', { file: join(dir, 'a/a.yaml'), line: 1 }],
      ['az', { file: join(dir, 'a/z.yml'), line: 1 }],
      ['b', { file: join(dir, 'b.yaml'), line: 1 }],
    ]);
  });

  it('keeps the first of an object declared in two files and reports the later one', async () => {
    await write('a.yaml', connection('cluster'));
    await write('b.yaml', `# copy\n${connection('cluster', 'oidc')}`);

    const result = await loadManifestDir(dir);
    expect(result.objects).toHaveLength(1);
    expect(result.objects[0]?.spec).toMatchObject({ type: 'kubernetes' });
    expect(result.problems).toEqual([
      {
        file: join(dir, 'b.yaml'),
        line: 2,
        object: 'Connection/platform/cluster',
        field: '',
        message: `duplicate: Connection/platform/cluster is already declared at ${join(dir, 'a.yaml')}:1; this one is ignored`,
      },
    ]);
  });

  it('treats objects of different kinds or namespaces with one name as different', async () => {
    await write(
      'all.yaml',
      `${connection('shared')}---
apiVersion: v1
kind: Secret
metadata: {name: shared, namespace: platform}
stringData: {a: b}
---
apiVersion: v1
kind: Namespace
metadata: {name: platform}
`,
    );
    await write('other.yaml', connection('shared').replace('namespace: platform', 'namespace: other'));
    const result = await loadManifestDir(dir);
    expect(result.problems).toEqual([]);
    expect(result.objects.map((o) => o.metadata.namespace)).toEqual(['platform', 'other']);
    expect(result.secrets.map((s) => s.name)).toEqual(['shared']);
    expect(result.namespaces.map((n) => n.name)).toEqual(['platform']);
  });

  it('collects problems from every file, each under its own file name', async () => {
    await write('a.yaml', connection('one', 'ldap'));
    await write('b.yaml', 'kind: [\n');
    await write('c.yaml', connection('two'));
    const result = await loadManifestDir(dir);
    expect(result.objects.map((o) => o.metadata.name)).toEqual(['two']);
    expect(result.problems.map((p) => [p.file, p.field])).toEqual([
      [join(dir, 'a.yaml'), 'spec.type'],
      [join(dir, 'b.yaml'), ''],
    ]);
  });

  it('fails when the folder does not exist', async () => {
    await expect(loadManifestDir(join(dir, 'missing'))).rejects.toThrow(/ENOENT/);
  });
});
