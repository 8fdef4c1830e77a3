import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `latchkey …` as a person runs it; dev mode exits on these errors before it is ready. */
function latchkey(cwd: string, ...args: string[]): Promise<Exit> {
  return new Promise((done) => {
    execFile(process.execPath, [MAIN, ...args], { cwd, timeout: 30_000 }, (error, stdout, stderr) =>
      done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
  });
}

describe('latchkey dev: start-up errors a person can act on', () => {
  let dir: string;
  let taken: Server;
  let takenPort: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'latchkey-dev-errors-'));
    await writeFile(join(dir, 'a-file.yaml'), '');
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    takenPort = (taken.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => taken.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  it('names a --manifests folder that does not exist, once, and creates no state folder', async () => {
    expect(
      await latchkey(
        dir,
        'dev',
        '--manifests',
        'nope',
        '--state-dir',
        'state',
        '--port',
        '0',
        '--ops-port',
        '0',
      ),
    ).toEqual({
      code: 2,
      stdout: '',
      stderr: `latchkey: --manifests: no such folder: ${join(dir, 'nope')}\n`,
    });
    expect(existsSync(join(dir, 'state'))).toBe(false);
  });

  it('says when --manifests names a file', async () => {
    expect(
      await latchkey(dir, 'dev', '--manifests', 'a-file.yaml', '--state-dir', 'state', '--port', '0'),
    ).toMatchObject({
      code: 2,
      stderr: `latchkey: --manifests: ${join(dir, 'a-file.yaml')} is a file; name the folder that holds the manifests\n`,
    });
  });

  it('names --ops-port when the health and metrics port is taken', async () => {
    const { code, stderr } = await latchkey(
      dir,
      'dev',
      '--state-dir',
      'state-ops',
      '--port',
      '0',
      '--ops-port',
      String(takenPort),
    );
    expect({ code, stderr }).toEqual({
      code: 2,
      stderr: `latchkey: --ops-port: 127.0.0.1:${takenPort} (the health and metrics port) is already in use: stop what listens there, or choose another port with --ops-port\n`,
    });
  });
});
