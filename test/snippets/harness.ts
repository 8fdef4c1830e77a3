/**
 * What every snippet test needs: `latchkey dev` in-process on a temp folder with two APIs and one client, the
 * client's generated Secret written out as files (one per key, as kubelet mounts a Secret volume), a runner for
 * a snippet as a child process, and the per-language setup script (which installs or builds into the cache
 * outside the repository, and does nothing when that was done before).
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startDev, type DevServer } from '../../src/dev/run.ts';
import { EventBus } from '../../src/events.ts';

export const ROOT = new URL('../../', import.meta.url).pathname;

/** Generous: the first run of a setup script downloads a library (Java: Maven's plugins too) and builds. */
export const SETUP_TIMEOUT_MS = 15 * 60_000;

export const INVENTORY = 'https://inventory.internal';
export const SHIPPING = 'https://shipping.internal';

/** The manifests the guides show: two APIs and one client (`orders/order-worker`, client_secret_basic). */
export const MANIFESTS = join(ROOT, 'snippets/manifests/orders.yaml');

export interface Latchkey {
  dev: DevServer;
  /** A temp folder holding the state folder `.latchkey`, as a user's working directory would. */
  workDir: string;
  /** The client's Secret as kubelet mounts it: one file per key. */
  secretDir: string;
  /** The same Secret with a wrong client_secret. */
  wrongSecretDir: string;
  close(): Promise<void>;
}

/** Starts `latchkey dev` on a temp folder and mounts the generated Secret `orders/order-worker-oauth` as files. */
export async function startLatchkey(): Promise<Latchkey> {
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-snippets-'));
  const manifests = join(dir, 'manifests');
  const state = join(dir, '.latchkey');
  await mkdir(manifests);
  await copyFile(MANIFESTS, join(manifests, 'orders.yaml'));
  const events = new EventBus();
  const problems: string[] = [];
  events.on('manifest.invalid', (p) =>
    problems.push(`${p.file}:${p.line}: ${p.object}: ${p.field}: ${p.message}`),
  );
  events.on('object.notReady', (p) => problems.push(`${p.key}: ${p.reason}: ${p.message}`));
  let dev: DevServer;
  try {
    dev = await startDev(
      {
        manifestsDir: manifests,
        stateDir: state,
        host: '127.0.0.1',
        port: 0,
        opsPort: 0,
        logFormat: 'text',
        watch: false,
      },
      events,
    );
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  if (problems.length > 0) {
    await dev.close();
    await rm(dir, { recursive: true, force: true });
    throw new Error(`${MANIFESTS} does not serve cleanly:\n${problems.join('\n')}`);
  }
  const data = await secretData(join(state, 'secrets', 'orders', 'order-worker-oauth.yaml'));
  const secretDir = await mount(join(dir, 'mounted'), data);
  const wrongSecretDir = await mount(join(dir, 'wrong'), { ...data, client_secret: 'not-the-secret' });
  return {
    dev,
    workDir: dir,
    secretDir,
    wrongSecretDir,
    async close() {
      await dev.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function secretData(path: string): Promise<Record<string, string>> {
  const doc = parse(await readFile(path, 'utf8')) as { data: Record<string, string> };
  return Object.fromEntries(
    Object.entries(doc.data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  );
}

/** Writes one file per key, as kubelet does for a Secret volume (no trailing newline). */
export async function mount(dir: string, data: Record<string, string>): Promise<string> {
  await mkdir(dir);
  for (const [key, value] of Object.entries(data)) await writeFile(join(dir, key), value, { mode: 0o400 });
  return dir;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a snippet with LATCHKEY_SECRET_DIR and, when given, LATCHKEY_AUDIENCE; anything the outer environment
 * had under those names is dropped so that only the test decides.
 */
export function runSnippet(
  command: string,
  args: readonly string[],
  opts: { secretDir: string; audience?: string; env?: Record<string, string>; cwd?: string },
): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, LATCHKEY_SECRET_DIR: opts.secretDir };
  delete env['LATCHKEY_AUDIENCE'];
  if (opts.audience !== undefined) env['LATCHKEY_AUDIENCE'] = opts.audience;
  return new Promise((resolve, reject) => {
    execFile(
      command,
      [...args],
      { env, cwd: opts.cwd ?? ROOT, timeout: 60_000, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number' && !err.killed) {
          reject(err);
          return;
        }
        if (err?.killed) {
          reject(new Error(`${command} timed out:\n${stdout}\n${stderr}`));
          return;
        }
        resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * Runs `scripts/snippets/setup-<lang>.sh` and returns the last line it prints (what the test runs). Reports how
 * long it took on stderr; fails with the script's own message (what to install) when the toolchain is missing.
 */
export function setupSnippet(lang: string): Promise<string> {
  const script = join(ROOT, 'scripts', 'snippets', `setup-${lang}.sh`);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      [script],
      { cwd: ROOT, timeout: SETUP_TIMEOUT_MS - 10_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        if (err) {
          reject(new Error(`${script} failed after ${seconds}s:\n${stderr}${stdout}`));
          return;
        }
        const last = stdout.trim().split('\n').at(-1) ?? '';
        process.stderr.write(`[snippets] setup-${lang}.sh: ${seconds}s -> ${last}\n`);
        resolve(last);
      },
    );
  });
}

export interface SnippetCase {
  /** `setup-<lang>.sh` */
  lang: string;
  /** The command that runs the snippet, from what the setup script printed. */
  command(setupOutput: string): { command: string; args: string[]; env?: Record<string, string> };
  /** What the library reports as `token_type` (the server sends `Bearer`; the value is case-insensitive). */
  tokenType: string;
  /** The whole of stderr when the token endpoint answers with an error. */
  errorOutput(error: string, description: string): string | RegExp;
}

/**
 * The tests every snippet passes: a token for each of the client's two APIs picked with LATCHKEY_AUDIENCE
 * (exactly the printed line), and a non-zero exit with the server's error without an audience and with a
 * wrong secret.
 */
export function describeSnippet(c: SnippetCase): void {
  describe(`the ${c.lang} snippet`, () => {
    let latchkey: Latchkey | undefined;
    let run: ReturnType<SnippetCase['command']>;

    beforeAll(async () => {
      // Setup first: it may take minutes on the first run, and a server started before would sit idle.
      run = c.command(await setupSnippet(c.lang));
      latchkey = await startLatchkey();
    }, SETUP_TIMEOUT_MS);
    afterAll(async () => {
      await latchkey?.close();
    });

    const snippet = (opts: { audience?: string; wrongSecret?: boolean }) => {
      const l = latchkey as Latchkey;
      return runSnippet(run.command, run.args, {
        secretDir: opts.wrongSecret ? l.wrongSecretDir : l.secretDir,
        ...(opts.audience !== undefined ? { audience: opts.audience } : {}),
        ...(run.env ? { env: run.env } : {}),
      });
    };

    it.each([
      { audience: INVENTORY, expires_in: 300, scope: 'inventory:read inventory:write' },
      { audience: SHIPPING, expires_in: 600, scope: 'shipping:read' },
    ])('prints one JSON line for a token for $audience', async ({ audience, expires_in, scope }) => {
      const res = await snippet({ audience });
      expect(res).toMatchObject({ code: 0, stderr: '' });
      expect(res.stdout.endsWith('\n')).toBe(true);
      expect(res.stdout.trimEnd().split('\n')).toHaveLength(1);
      expect(JSON.parse(res.stdout)).toEqual({ token_type: c.tokenType, expires_in, scope, aud: audience });
    });

    it('exits non-zero with the server error when the client must name an API and does not', async () => {
      const res = await snippet({});
      expect(res).toMatchObject({ code: 1, stdout: '' });
      expectOutput(
        res.stderr,
        c.errorOutput(
          'invalid_request',
          'audience is required (or resource): this client is granted several APIs',
        ),
      );
    });

    it('exits non-zero with the server error for a wrong client_secret', async () => {
      const res = await snippet({ audience: INVENTORY, wrongSecret: true });
      expect(res).toMatchObject({ code: 1, stdout: '' });
      expectOutput(res.stderr, c.errorOutput('invalid_client', 'client authentication failed'));
    });
  });
}

/** Output without its last newline: equal to a string, or matching a pattern (which anchors itself). */
export function expectOutput(output: string, expected: string | RegExp): void {
  if (typeof expected === 'string') expect(output.trimEnd()).toBe(expected);
  else expect(output.trimEnd()).toMatch(expected);
}
