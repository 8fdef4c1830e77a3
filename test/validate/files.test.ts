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
