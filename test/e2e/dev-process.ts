/** `latchkey dev` run as a user runs it: a process of its own, read through what it prints. */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = new URL('../../', import.meta.url).pathname;

export interface Dev {
  child: ChildProcess;
  output: string[];
  issuer: string;
  /** Where it listens: the issuer's origin unless `--issuer` names another address. */
  origin: string;
  /** What the ready line suggests trying: a curl command, or why there is none. */
  curl: string;
}

/** Starts `latchkey dev` on ports the system picks, with `options` added, and waits for its ready line. */
export async function startDev(
  manifests: string,
  state: string,
  cwd: string,
  options: readonly string[] = [],
): Promise<Dev> {
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'src/cli/main.ts'),
      'dev',
      '--manifests',
      manifests,
      '--state-dir',
      state,
      '--port',
      '0',
      '--ops-port',
      '0',
      ...options,
    ],
    { cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  // Never outlive the test run, even when it dies before afterAll.
  process.once('exit', () => child.kill('SIGKILL'));
  const output: string[] = [];
  const ready = new Promise<Dev>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`dev mode did not get ready:\n${output.join('')}`)),
      20_000,
    );
    const onData = (chunk: Buffer) => {
      output.push(chunk.toString());
      const found = readyLine(output.join(''));
      if (found) {
        clearTimeout(timer);
        resolve({ child, output, ...found });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dev mode exited with ${code}:\n${output.join('')}`));
    });
  });
  return ready;
}

/** The ready line's issuer, origin and command to try: from the text line, or the JSON record of `--log-format json`. */
function readyLine(text: string): Pick<Dev, 'issuer' | 'origin' | 'curl'> | undefined {
  const m = /Latchkey dev is ready: issuer (\S+)(?: \(listening on (\S+)\))? \| try: (.*)\n/.exec(text);
  if (m) {
    const issuer = m[1] as string;
    return { issuer, origin: m[2] ?? issuer, curl: m[3] as string };
  }
  const record = /^\{.*"event":"dev\.ready".*\}$/m.exec(text);
  if (!record) return undefined;
  const ready = JSON.parse(record[0]) as { issuer: string; listening?: string; tryIt?: string };
  return {
    issuer: ready.issuer,
    origin: ready.listening ?? ready.issuer,
    curl: ready.tryIt ?? '(no client is ready yet)',
  };
}

export async function stop(dev: Dev): Promise<number | null> {
  if (dev.child.exitCode !== null) return dev.child.exitCode;
  const exited = new Promise<number | null>((resolve) => dev.child.once('exit', (code) => resolve(code)));
  dev.child.kill('SIGTERM');
  return exited;
}

export async function eventually<T>(
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  what: string,
): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 100; i++) {
    last = await probe();
    if (ok(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: last value ${JSON.stringify(last)}`);
}
