import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const MAIN = new URL('../../src/cli/main.ts', import.meta.url).pathname;

// Records the URL of every module a process loads, so a test can prove a command never pays for another's.
const RECORDER = `
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const loaded = new Set();
registerHooks({
  resolve(specifier, context, next) {
    const resolved = next(specifier, context);
    loaded.add(resolved.url);
    return resolved;
  },
});
// Node's own internal modules are listed too: an ES import of node:http loads its bundled undici, for one.
process.on('exit', () =>
  writeFileSync(process.env.LOADED_FILE, JSON.stringify([...loaded, ...process.moduleLoadList])),
);
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'latchkey-modules-'));
  await writeFile(join(dir, 'recorder.mjs'), RECORDER);
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  env?: Record<string, string>;
  /** SIGTERM is sent once this appears in the output; absent: the command ends by itself. */
  readyLine?: string;
  exitCode: number;
}

/** Runs `latchkey <args>` as a process and returns the URLs of the modules it loaded and what it printed. */
async function modulesLoaded(args: string[], run: Run): Promise<{ modules: string[]; output: string }> {
  const file = join(dir, `loaded-${args[0]}.json`);
  const child = spawn(process.execPath, ['--import', join(dir, 'recorder.mjs'), MAIN, ...args], {
    env: { ...process.env, ...run.env, LOADED_FILE: file },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // 'close', not 'exit': the output may still be in the pipe when the process has exited.
  const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('close', (code, signal) => resolve([code, signal])),
  );
  let output = '';
  let stopped = false;
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    // Once: a second SIGTERM would find no handler and end the process before it records anything.
    if (run.readyLine !== undefined && !stopped && output.includes(run.readyLine)) {
      stopped = child.kill('SIGTERM');
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const [code, signal] = await closed;
  expect({ code, signal }, output).toEqual({ code: run.exitCode, signal: null });
  return { modules: JSON.parse(await readFile(file, 'utf8')) as string[], output };
}

describe('each command loads only its own modules', () => {
  it('latchkey dev never loads the Kubernetes client, and exits cleanly on SIGTERM right after ready', async () => {
    const manifests = await mkdtemp(join(dir, 'manifests-'));
    const { modules } = await modulesLoaded(
      [
        'dev',
        ...['--manifests', manifests, '--state-dir', join(dir, 'state')],
        ...['--port', '0', '--ops-port', '0', '--no-watch'],
      ],
      { readyLine: 'Latchkey dev is ready', exitCode: 0 },
    );
    expect(modules.filter((url) => url.endsWith('/src/manifests/crd-validation.ts'))).toHaveLength(1);
    expect(modules.filter((url) => url.includes('/node_modules/@kubernetes/'))).toEqual([]);
    // Neither undici (npm's nor Node's bundled copy) until a client's jwksUri or --check-connections needs it.
    expect(modules.filter((url) => url.includes('undici'))).toEqual([]);
  }, 30_000);

  it('latchkey operator in a pod loads neither the Kubernetes client nor the manifest validators', async () => {
    // A service host that makes no URL stops the operator at its connection, after it loaded its modules.
    const { modules, output } = await modulesLoaded(['operator', '--issuer', 'http://127.0.0.1:1'], {
      env: { KUBERNETES_SERVICE_HOST: 'not a host', KUBERNETES_SERVICE_PORT: '443' },
      exitCode: 2,
    });
    expect(output).toContain('server is not a URL');
    expect(modules.filter((url) => url.endsWith('/src/operator/run.ts'))).toHaveLength(1);
    const unwanted = [
      '/node_modules/@kubernetes/',
      '/node_modules/ajv/',
      '/node_modules/yaml/',
      '/src/manifests/crd-validation.ts',
      '/src/dev/',
    ];
    expect(modules.filter((url) => unwanted.some((part) => url.includes(part)))).toEqual([]);
  }, 30_000);
});
