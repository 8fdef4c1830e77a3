import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { packageVersion } from '../../src/cli/version.ts';

const execFileAsync = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const MAIN = join(ROOT, 'src/cli/main.ts');
const { version } = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('latchkey --version', () => {
  it.each([['--version'], ['version']])('latchkey %s prints the version of package.json', async (arg) => {
    const { stdout, stderr } = await execFileAsync(process.execPath, [MAIN, arg]);
    expect(stdout).toBe(`latchkey ${version}\n`);
    expect(stderr).toBe('');
  });

  it('lists the version command and option in the usage text', async () => {
    const { stdout } = await execFileAsync(process.execPath, [MAIN, '--help']);
    expect(stdout).toMatch(/^ {2}version +print the version of Latchkey$/m);
    expect(stdout).toMatch(/^ {2}--version {15}print the version of Latchkey/m);
  });

  it('fails, naming the file, when package.json has no version', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'latchkey-version-'));
    try {
      const file = join(dir, 'package.json');
      await writeFile(file, '{"name": "latchkey"}');
      expect(() => packageVersion(pathToFileURL(file))).toThrow(`${file} has no version`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
