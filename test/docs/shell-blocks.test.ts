/**
 * Every shell block of README.md, CONTRIBUTING.md, examples/README.md, the chart's README and docs/ runs here as a
 * reader would run it, or says before it why it cannot: `<!-- not run: needs a cluster -->`, or
 * `<!-- tested: NAME -->` when a test of its own runs it. So a new page's commands are tried the day it is
 * written, the way test/snippets/docs.test.ts runs the workload guide's how-to.
 *
 * How a page runs: its blocks in order, each with `bash -euo pipefail` in a working folder of its own whose
 * entries link to the repository's (so `examples/`, `snippets/manifests` resolve as from the checkout, and
 * `.latchkey` is the page's own). PATH holds only common tools, `node`, and stand-ins for `npm` and `latchkey`
 * that run this checkout's CLI; a block that needs anything else (kubectl, helm, docker, go) fails with
 * "command not found" until it is marked. `npm ci` does nothing (the suite runs after it); other npm commands
 * fail. `latchkey dev` serves until stopped, as in a terminal of its own: the block records it and the test
 * starts it once the block is done, on 127.0.0.1 with ports of the page's own (`127.0.0.1:8080` and `:8081` in
 * the page's later blocks are rewritten to them), waits for its ready line, and stops it with SIGTERM at the end
 * of the page, or when a later block starts another. A block fails when it exits non-zero or prints an OAuth
 * error body.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeBlocks, exists, markdownFiles, type Block } from '../support/markdown.ts';
import {
  freePort,
  logTail,
  makeTempDir,
  removeTempDir,
  startManaged,
  stopManaged,
  waitUntil,
  type ManagedProcess,
} from '../support/managed-process.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const SHELL = new Set(['sh', 'bash', 'shell', 'zsh', 'console']);

/** Blocks marked `tested: NAME` are run by this test file instead. */
const TESTED_ELSEWHERE: Record<string, string> = { mount: 'test/snippets/docs.test.ts' };

/** What a block may call besides `node`, `npm` and `latchkey`: everyday tools, nothing that reaches a cluster. */
const TOOLS = [
  'bash', 'sh', 'env', 'cat', 'echo', 'printf', 'sed', 'awk', 'grep', 'cut', 'tr', 'sort', 'uniq', 'head',
  'tail', 'wc', 'tee', 'xargs', 'base64', 'curl', 'jq', 'mkdir', 'rm', 'cp', 'mv', 'ls', 'touch', 'chmod',
  'mktemp', 'dirname', 'basename', 'date', 'sleep', 'test', 'true', 'false', 'find', 'diff', 'openssl',
]; // prettier-ignore

const NPM = `#!/usr/bin/env bash
# npm as the docs' shell blocks use it (test/docs/shell-blocks.test.ts).
set -euo pipefail
refuse() {
  echo "npm $*: unknown to the docs runner; if it cannot run in a test, mark the block <!-- not run: why -->" >&2
  exit 127
}
case "\${1:-}" in
  ci) exit 0 ;; # the suite runs after npm ci
  run)
    [[ $# -ge 2 ]] || refuse "$@"
    script="$2"
    shift 2
    [[ "\${1:-}" == "--" ]] && shift
    case "$script" in
      latchkey) exec latchkey "$@" ;;
      validate) exec latchkey validate "$@" ;;
      dev) exec latchkey dev "$@" ;;
      *) refuse run "$script" ;;
    esac
    ;;
  *) refuse "$@" ;;
esac
`;

const LATCHKEY = `#!/usr/bin/env bash
# latchkey as the docs' shell blocks use it (test/docs/shell-blocks.test.ts): dev is started by the test.
set -euo pipefail
if [[ "\${1:-}" == dev ]]; then
  shift
  if [[ -e "$LATCHKEY_DOCS_SESSION/dev-args" ]]; then
    echo "one latchkey dev per block: it serves until stopped" >&2
    exit 1
  fi
  : > "$LATCHKEY_DOCS_SESSION/dev-args"
  for arg in "$@"; do printf '%s\\0' "$arg" >> "$LATCHKEY_DOCS_SESSION/dev-args"; done
  exit 0
fi
exec node "$LATCHKEY_DOCS_ROOT/src/cli/main.ts" "$@"
`;

async function pages(): Promise<string[]> {
  const top = ['README.md', 'CONTRIBUTING.md', 'examples/README.md', 'charts/latchkey/README.md'];
  const present = [];
  for (const p of top) if (await exists(join(ROOT, p))) present.push(p);
  return [...present, ...(await markdownFiles(ROOT, 'docs')).sort()];
}

function firstCommand(b: Block): string {
  return b.body.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
}

const PAGES = await Promise.all(
  (await pages()).map(async (path) => {
    const text = await readFile(join(ROOT, path), 'utf8');
    return { path, text, shell: codeBlocks(text).filter((b) => SHELL.has(b.lang)) };
  }),
);

/** A page's working folder, tools and the `latchkey dev` it started. */
class Session {
  dir = '';
  work = '';
  port = 0;
  opsPort = 0;
  private env: NodeJS.ProcessEnv = {};
  private server: ManagedProcess | undefined;
  private servers = 0;

  async open(): Promise<void> {
    this.dir = await makeTempDir('latchkey-docs-');
    this.work = join(this.dir, 'work');
    const bin = join(this.dir, 'bin');
    const home = join(this.dir, 'home');
    await Promise.all([mkdir(this.work), mkdir(bin), mkdir(home), mkdir(join(this.dir, 'tmp'))]);
    for (const entry of await readdir(ROOT)) {
      if (!entry.startsWith('.')) await symlink(join(ROOT, entry), join(this.work, entry));
    }
    const path = (process.env['PATH'] ?? '').split(delimiter);
    for (const tool of TOOLS) {
      for (const d of path) {
        if (await exists(join(d, tool))) {
          await symlink(join(d, tool), join(bin, tool));
          break;
        }
      }
    }
    await symlink(process.execPath, join(bin, 'node'));
    await writeFile(join(bin, 'npm'), NPM);
    await writeFile(join(bin, 'latchkey'), LATCHKEY);
    await chmod(join(bin, 'npm'), 0o755);
    await chmod(join(bin, 'latchkey'), 0o755);
    [this.port, this.opsPort] = [await freePort(), await freePort()];
    this.env = {
      PATH: bin,
      HOME: home,
      TMPDIR: join(this.dir, 'tmp'),
      LANG: 'C.UTF-8',
      LATCHKEY_DOCS_SESSION: this.dir,
      LATCHKEY_DOCS_ROOT: ROOT,
    };
  }

  /** The block as this page's terminal would run it: its ports where the page says 8080 and 8081. */
  script(b: Block): string {
    return b.body
      .replace(/\b(127\.0\.0\.1|localhost):8080\b/g, `127.0.0.1:${this.port}`)
      .replace(/\b(127\.0\.0\.1|localhost):8081\b/g, `127.0.0.1:${this.opsPort}`);
  }

  async run(b: Block): Promise<{ code: number; stdout: string; stderr: string }> {
    const result = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'bash',
        ['-euo', 'pipefail', '-c', this.script(b)],
        { cwd: this.work, env: this.env, timeout: 60_000, killSignal: 'SIGKILL' },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          resolve({ code, stdout, stderr: err?.killed ? `${stderr}\n(killed after 60 s)` : stderr });
        },
      );
    });
    const argsFile = join(this.dir, 'dev-args');
    if (result.code === 0 && (await exists(argsFile))) {
      const args = (await readFile(argsFile, 'utf8')).split('\0').slice(0, -1);
      await rm(argsFile);
      await this.startDev(args);
    }
    return result;
  }

  private async startDev(args: string[]): Promise<void> {
    const own = args.find((a) => /^--(port|ops-port|host)(=|$)/.test(a));
    if (own)
      throw new Error(`latchkey dev ${own}: the docs runner picks the address (127.0.0.1:8080 in docs)`);
    await this.stop();
    const log = join(this.dir, `dev-${++this.servers}.log`);
    const main = join(ROOT, 'src/cli/main.ts');
    const dev = startManaged({
      name: `latchkey dev ${args.join(' ')}`.trim(),
      binary: 'bash',
      // cd first: relative --manifests and the state folder are the page's working folder's.
      args: ['-c', 'cd "$0" && exec "$@"', this.work, process.execPath, main, 'dev', ...args].concat([
        '--port',
        String(this.port),
        '--ops-port',
        String(this.opsPort),
      ]),
      logPath: log,
      tempDir: this.dir,
    });
    this.server = dev;
    await waitUntil(
      dev,
      { timeoutMs: 30_000, intervalMs: 100, before: 'its ready line', didNot: 'print its ready line' },
      async () => (await readFile(log, 'utf8')).includes('Latchkey dev is ready'),
    );
  }

  /** Stops the running `latchkey dev` as Ctrl-C would; it must exit cleanly. */
  async stop(): Promise<void> {
    const dev = this.server;
    this.server = undefined;
    if (!dev) return;
    await stopManaged(dev, 'SIGTERM');
    expect(dev.exitCode, `${dev.name} stopped with ${dev.exitCode}:\n${logTail(dev.logPath)}`).toBe(0);
  }

  async close(): Promise<void> {
    try {
      await this.stop();
    } finally {
      if (this.dir) await removeTempDir(this.dir);
    }
  }
}

describe.each(PAGES.filter((p) => p.shell.length > 0).map((p) => [p.path, p] as const))(
  '%s',
  (path, page) => {
    it('has every shell block either run here or marked with why not', async () => {
      const problems: string[] = [];
      for (const b of page.shell) {
        const where = `${path}:${b.line}`;
        if (b.lang === 'console' || b.lang === 'zsh')
          problems.push(`${where}: write \`\`\`sh, without prompts`);
        const m = b.marker;
        if (!m) continue;
        if (m.kind === 'tested') {
          const test = TESTED_ELSEWHERE[m.arg];
          if (!test) problems.push(`${where}: no test runs "tested: ${m.arg}" (TESTED_ELSEWHERE)`);
          else if (!(await readFile(join(ROOT, test), 'utf8')).includes(`'${m.arg}'`))
            problems.push(`${where}: ${test} does not run "tested: ${m.arg}"`);
        } else if (m.kind !== 'not run') {
          problems.push(`${where}: "${m.kind}" is not a marker for a shell block (not run, tested)`);
        }
      }
      expect(problems).toEqual([]);
    });

    const runnable = page.shell.filter((b) => !b.marker);
    if (runnable.length === 0) return;
    const session = new Session();
    beforeAll(() => session.open());
    afterAll(() => session.close(), 30_000);

    it.each(runnable.map((b) => [b.line, firstCommand(b), b] as const))(
      'line %i runs: %s',
      async (line, _first, b) => {
        const res = await session.run(b);
        const shown = `${path}:${line}:\n${session.script(b)}\nexit ${res.code}\nstdout:\n${res.stdout}\nstderr:\n${res.stderr}`;
        expect(
          res.code,
          `${shown}\nIf it cannot run in a test, put <!-- not run: why --> before the block.`,
        ).toBe(0);
        expect(res.stdout, `${shown}\nThe block printed an OAuth error.`).not.toMatch(/"error"\s*:\s*"/);
      },
      90_000,
    );
  },
);

describe('README.md: the two commands', () => {
  const readme = PAGES.find((p) => p.path === 'README.md');
  const commands = (readme?.shell ?? []).map((b) => firstCommand(b).replace(/\s+#.*$/, ''));

  it('starts Latchkey with `npm ci && npm run latchkey -- dev`, which this file runs', () => {
    const dev = readme?.shell.find((b) => firstCommand(b).startsWith('npm ci && npm run latchkey -- dev'));
    expect(commands).toContain('npm ci && npm run latchkey -- dev');
    expect(dev?.marker).toBeUndefined();
  });

  it('tests with `npm ci && npm test`, exactly what .ci/run runs', async () => {
    expect(commands).toContain('npm ci && npm test');
    const ci = (await readFile(join(ROOT, '.ci/run'), 'utf8')).trim().split('\n');
    expect(ci.at(-1)).toBe('npm ci && npm test');
  });
});
