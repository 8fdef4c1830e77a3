import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManifestFolder } from '../../src/dev/manifest-folder.ts';
import type { DeclaredResourceServer } from '../../src/store/objects.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latchkey-folder-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const api = (name: string, identifier: string, extra = '') => `apiVersion: latchkey.dev/v1alpha1
kind: ResourceServer
metadata: {name: ${name}, namespace: team}
spec:
  identifier: ${identifier}
${extra}`;

function identifiers(objects: readonly { kind: string }[]): string[] {
  return objects
    .filter((o): o is DeclaredResourceServer => o.kind === 'ResourceServer')
    .map((o) => o.spec.identifier)
    .sort();
}

describe('a watched folder of manifests', () => {
  it('serves the valid objects of a file next to an invalid one', async () => {
    await writeFile(
      join(dir, 'apis.yaml'),
      `${api('a', 'https://a')}---\n${api('b', 'https://b', '  bogus: 1\n')}`,
    );
    const load = await new ManifestFolder(dir).load();
    expect(identifiers(load.world.objects)).toEqual(['https://a']);
    expect(load.problems).toEqual([
      expect.objectContaining({
        line: 12,
        object: 'ResourceServer/team/b',
        field: 'spec.bogus',
        message:
          'unknown field "bogus"; fields here: identifier, displayName, scopes, accessToken, introspection, people, allowedNamespaces',
      }),
    ]);
  });

  it('keeps the last good version of an object that becomes invalid', async () => {
    const folder = new ManifestFolder(dir);
    await writeFile(join(dir, 'apis.yaml'), `${api('a', 'https://a')}---\n${api('b', 'https://b')}`);
    await folder.load();
    await writeFile(
      join(dir, 'apis.yaml'),
      `${api('a', 'https://a2')}---\n${api('b', 'https://b2', '  bogus: 1\n')}`,
    );
    const load = await folder.load();
    expect(identifiers(load.world.objects)).toEqual(['https://a2', 'https://b']);
    expect(load.problems).toHaveLength(1);
  });

  it("keeps all of a file's objects when the file stops being readable YAML", async () => {
    const folder = new ManifestFolder(dir);
    await writeFile(join(dir, 'apis.yaml'), `${api('a', 'https://a')}---\n${api('b', 'https://b')}`);
    await folder.load();
    await writeFile(join(dir, 'apis.yaml'), `${api('a', 'https://a')}  : [unclosed\n`);
    const load = await folder.load();
    expect(identifiers(load.world.objects)).toEqual(['https://a', 'https://b']);
    expect(load.problems.length).toBeGreaterThan(0);
  });

  it('drops the objects of a deleted file and forgets an object removed from a valid file', async () => {
    const folder = new ManifestFolder(dir);
    await writeFile(join(dir, 'a.yaml'), api('a', 'https://a'));
    await writeFile(join(dir, 'b.yaml'), `${api('b', 'https://b')}---\n${api('c', 'https://c')}`);
    await folder.load();
    await unlink(join(dir, 'a.yaml'));
    await writeFile(join(dir, 'b.yaml'), api('b', 'https://b'));
    expect(identifiers((await folder.load()).world.objects)).toEqual(['https://b']);
  });

  it('reports an object declared in two files and uses the first', async () => {
    await writeFile(join(dir, 'a.yaml'), api('a', 'https://first'));
    await writeFile(join(dir, 'b.yaml'), api('a', 'https://second'));
    const load = await new ManifestFolder(dir).load();
    expect(identifiers(load.world.objects)).toEqual(['https://first']);
    expect(load.problems).toEqual([
      expect.objectContaining({
        file: expect.stringMatching(/b\.yaml$/),
        line: 1,
        object: 'ResourceServer/team/a',
      }),
    ]);
    expect(load.problems[0]?.message).toMatch(
      /^ResourceServer team\/a is already declared in .*a\.yaml: this declaration is ignored$/,
    );
  });

  it('keeps an object with the file that declared it first, until that file stops declaring it', async () => {
    const folder = new ManifestFolder(dir);
    await writeFile(join(dir, 'b.yaml'), api('a', 'https://b'));
    await folder.load();
    await writeFile(join(dir, 'a.yaml'), api('a', 'https://newcomer'));
    const added = await folder.load();
    expect(identifiers(added.world.objects)).toEqual(['https://b']);
    expect(added.problems).toEqual([
      expect.objectContaining({
        file: expect.stringMatching(/a\.yaml$/),
        message: expect.stringMatching(/^ResourceServer team\/a is already declared in .*b\.yaml: this/),
      }),
    ]);
    await writeFile(join(dir, 'b.yaml'), api('other', 'https://other'));
    expect(identifiers((await folder.load()).world.objects)).toEqual(['https://newcomer', 'https://other']);
    // Once it has passed on, the file that gave it up is the later declaration.
    await writeFile(join(dir, 'b.yaml'), api('a', 'https://b'));
    expect(identifiers((await folder.load()).world.objects)).toEqual(['https://newcomer']);
  });

  it("keeps a Namespace's labels with the file that declared it first", async () => {
    const ns = (labels: string) =>
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: team, labels: {${labels}}}\n`;
    const folder = new ManifestFolder(dir);
    await writeFile(join(dir, 'a.yaml'), ns('team: a'));
    await folder.load();
    await writeFile(join(dir, 'z.yaml'), ns('partner: "true"'));
    const load = await folder.load();
    expect(load.world.namespaces.get('team')).toEqual({ team: 'a', 'kubernetes.io/metadata.name': 'team' });
    expect(load.problems).toEqual([
      expect.objectContaining({
        file: expect.stringMatching(/z\.yaml$/),
        object: 'Namespace/team',
        message: expect.stringMatching(
          /^Namespace team is already declared in .*a\.yaml: this declaration is ignored$/,
        ),
      }),
    ]);
  });

  it("keeps a Namespace's last good labels, and its holder, while its document is invalid", async () => {
    const ns = (extra: string) =>
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: team, labels: {team: a}}\n${extra}`;
    const folder = new ManifestFolder(dir);
    await writeFile(join(dir, 'a.yaml'), ns(''));
    await folder.load();
    await writeFile(join(dir, 'a.yaml'), ns('bogus: 1\n'));
    await writeFile(
      join(dir, 'z.yaml'),
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: team, labels: {partner: "true"}}\n',
    );
    const load = await folder.load();
    expect(load.world.namespaces.get('team')).toEqual({ team: 'a', 'kubernetes.io/metadata.name': 'team' });
    expect(load.problems.map((p) => p.message)).toEqual([
      'unknown field "bogus"; fields here: apiVersion, kind, metadata, spec, status',
      expect.stringMatching(/^Namespace team is already declared in .*a\.yaml/),
    ]);
  });
});

describe('the limits of a folder of manifests', () => {
  const limits = { maxFileBytes: 400, maxDocumentsPerFile: 3, maxFolderBytes: 1000 };

  it('refuses a file over the size limit, naming the file and the limit, and keeps its last good objects', async () => {
    const folder = new ManifestFolder(dir, { limits });
    await writeFile(join(dir, 'apis.yaml'), api('a', 'https://a'));
    await folder.load();
    await writeFile(join(dir, 'apis.yaml'), `${api('a', 'https://a2')}# ${'x'.repeat(400)}\n`);
    const load = await folder.load();
    expect(identifiers(load.world.objects)).toEqual(['https://a']);
    expect(load.problems).toEqual([
      {
        file: expect.stringMatching(/apis\.yaml$/),
        line: 1,
        object: 'file',
        field: '',
        message: expect.stringMatching(
          /^the file is \d+ bytes, over the limit of 400 bytes per manifest file: it is ignored$/,
        ),
      },
    ]);
  });

  it('refuses a file with more documents than the limit without using any of them', async () => {
    const docs = ['a', 'b', 'c', 'd'].map((n) => api(n, `https://${n}`)).join('---\n');
    await writeFile(join(dir, 'apis.yaml'), docs);
    const load = await new ManifestFolder(dir, { limits: { ...limits, maxFileBytes: 10_000 } }).load();
    expect(load.world.objects).toEqual([]);
    expect(load.problems.map((p) => p.message)).toEqual([
      'the file has more than 3 YAML documents, the limit per manifest file: it is ignored',
    ]);
  });
});
