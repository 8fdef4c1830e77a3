import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readManifestInputs } from '../../src/validate/files.ts';

describe('readManifestInputs', () => {
  let cwd: string;

  beforeAll(async () => {
    cwd = await mkdtemp(join(tmpdir(), 'latchkey-validate-'));
    await mkdir(join(cwd, 'gitops/apps/billing'), { recursive: true });
    await mkdir(join(cwd, 'gitops/.git'), { recursive: true });
    await mkdir(join(cwd, 'empty'));
    await writeFile(join(cwd, 'gitops/apps/billing/client.yaml'), 'kind: A\n');
    await writeFile(join(cwd, 'gitops/apps/api.yml'), 'kind: B\n');
    await writeFile(join(cwd, 'gitops/apps/README.md'), '# not a manifest\n');
    await writeFile(join(cwd, 'gitops/.git/config.yaml'), 'kind: C\n');
    await writeFile(join(cwd, 'single.json'), '{"kind": "D"}\n');
  });

  afterAll(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it('reads folders recursively (YAML only, no dot folders) and named files, each once, by the name given', async () => {
    expect(await readManifestInputs(['./gitops', 'gitops/apps/api.yml', 'single.json'], cwd)).toEqual([
      { file: 'gitops/apps/api.yml', text: 'kind: B\n' },
      { file: 'gitops/apps/billing/client.yaml', text: 'kind: A\n' },
      { file: 'single.json', text: '{"kind": "D"}\n' },
    ]);
  });

  it('leaves out what --exclude matches, below a folder and among the files named', async () => {
    expect(
      await readManifestInputs(['gitops', 'single.json'], cwd, { exclude: ['billing', '*.json'] }),
    ).toEqual([{ file: 'gitops/apps/api.yml', text: 'kind: B\n' }]);
    // Relative to the folder given, too.
    expect(await readManifestInputs(['./gitops'], cwd, { exclude: ['apps/billing/**'] })).toEqual([
      { file: 'gitops/apps/api.yml', text: 'kind: B\n' },
    ]);
  });

  it('refuses to check nothing because --exclude left everything out', async () => {
    await expect(readManifestInputs(['gitops'], cwd, { exclude: ['apps'] })).rejects.toMatchObject({
      code: 'LATCHKEY_CONFIG',
      message: 'gitops: every .yaml or .yml file in this folder is left out by --exclude',
    });
    await expect(
      readManifestInputs(['single.json'], cwd, { exclude: ['single.json'] }),
    ).rejects.toMatchObject({
      code: 'LATCHKEY_CONFIG',
      message: 'arguments: every file given is left out by --exclude',
    });
  });

  it('reads - from standard input once, as <stdin>, whatever --exclude says', async () => {
    let reads = 0;
    const readStdin = () => {
      reads += 1;
      return Promise.resolve('kind: E\n');
    };
    expect(
      await readManifestInputs(['-', 'gitops/apps/api.yml', '-'], cwd, { readStdin, exclude: ['*'] }),
    ).toEqual([{ file: '<stdin>', text: 'kind: E\n' }]);
    expect(reads).toBe(1);
  });

  it('holds standard input to the size limit of a file', async () => {
    const readStdin = () => Promise.resolve('x'.repeat(2048));
    await expect(
      readManifestInputs(['-'], cwd, {
        readStdin,
        limits: { maxFileBytes: 1024, maxFolderBytes: 1_000_000, maxDocumentsPerFile: 10 },
      }),
    ).rejects.toMatchObject({ code: 'LATCHKEY_CONFIG', message: expect.stringMatching(/^<stdin>: /) });
  });

  it('refuses a path that does not exist and a folder without manifests, as usage errors', async () => {
    await expect(readManifestInputs(['gitops', 'gitopz'], cwd)).rejects.toMatchObject({
      code: 'LATCHKEY_CONFIG',
      message: 'gitopz: no such file or folder',
    });
    await expect(readManifestInputs(['empty'], cwd)).rejects.toMatchObject({
      code: 'LATCHKEY_CONFIG',
      message: 'empty: no .yaml or .yml files in this folder',
    });
  });
});
