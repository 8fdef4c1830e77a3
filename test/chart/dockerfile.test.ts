/**
 * What can be checked of the image without a container engine: the Dockerfile's stages and instructions, that
 * .dockerignore lets through what it copies, and that the build command it runs yields an entry point that starts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATOR_USAGE } from '../../src/operator/config.ts';
import { repoRoot } from '../integration/envtest.ts';

const execFileAsync = promisify(execFile);
/** The Node.js 24 the project pins (the image's version), whatever runs the tests. */
const NODE = join(repoRoot, 'node_modules/.bin/node');

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** The Dockerfile as global ARGs and stages: continuation lines joined, comments and blank lines dropped. */
function parseDockerfile(text: string): { args: Instruction[]; stages: Stage[] } {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword = '', rest = ''] = /^(\S+)\s*(.*)$/.exec(line) ?? [];
    const instruction = { keyword: keyword.toUpperCase(), args: rest.replace(/\s+/g, ' ') };
    if (instruction.keyword === 'FROM') {
      const [, from = '', name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args) ?? [];
      stages.push({ from, ...(name ? { name } : {}), instructions: [] });
    } else if (stages.length === 0) {
      args.push(instruction);
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

const packageJson = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
  scripts: Record<string, string>;
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const dockerfile = parseDockerfile(await readFile(join(repoRoot, 'Dockerfile'), 'utf8'));
const stage = (name: string) => {
  const found = dockerfile.stages.find((s) => s.name === name);
  if (!found) throw new Error(`no stage named ${name}`);
  return found;
};
const runs = (s: Stage) => s.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
const final = dockerfile.stages.at(-1) as Stage;
const finalOnly = (keyword: string) =>
  final.instructions.filter((i) => i.keyword === keyword).map((i) => i.args);

describe('Dockerfile', () => {
  it('builds every stage from one Node.js 24 base image, the version the project pins', () => {
    expect(dockerfile.args).toEqual([
      { keyword: 'ARG', args: `NODE_IMAGE=node:${packageJson.devDependencies['node']}-bookworm-slim` },
    ]);
    expect(packageJson.devDependencies['node']).toMatch(/^24\./);
    expect(packageJson.engines.node).toBe('>=24.0.0 <25');
    expect(dockerfile.stages.map((s) => [s.name, s.from])).toEqual([
      ['build', '${NODE_IMAGE}'],
      ['deps', '${NODE_IMAGE}'],
      ['runtime', '${NODE_IMAGE}'],
    ]);
  });

  it('compiles with `npm run build` in the build stage, which is the tsc build of package.json', () => {
    expect(runs(stage('build'))).toEqual(['npm ci --no-audit --no-fund', 'npm run build']);
    expect(packageJson.scripts['build']).toBe('tsc -p tsconfig.build.json');
  });

  it('installs only the runtime dependencies, without install scripts, for the image', () => {
    expect(runs(stage('deps'))).toEqual(['npm ci --omit=dev --ignore-scripts --no-audit --no-fund']);
    expect(finalOnly('COPY')).toEqual([
      'package.json ./',
      '--from=deps /app/node_modules ./node_modules',
      '--from=build /src/dist ./dist',
      'examples ./examples',
    ]);
  });

  it('runs as the non-root user 65532 (numeric, so runAsNonRoot can verify it)', () => {
    expect(finalOnly('USER')).toEqual(['65532:65532']);
  });

  it('starts `node --max-semi-space-size=8 --no-concurrent-recompilation /app/dist/cli/main.js operator` unless given another command', () => {
    expect(finalOnly('ENTRYPOINT')).toEqual([
      '["node", "--max-semi-space-size=8", "--no-concurrent-recompilation", "/app/dist/cli/main.js"]',
    ]);
    expect(finalOnly('CMD')).toEqual(['["operator"]']);
    expect(finalOnly('EXPOSE')).toEqual(['8080 8081']);
  });

  it('lets through .dockerignore everything it copies from the build context, and nothing else', async () => {
    const ignore = (await readFile(join(repoRoot, '.dockerignore'), 'utf8'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    const fromContext = dockerfile.stages
      .flatMap((s) => s.instructions)
      .filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from='))
      .flatMap((i) => i.args.split(' ').slice(0, -1))
      .map((source) => (source.includes('.') ? source : `${source}/`));
    expect(ignore[0]).toBe('*');
    expect(ignore.slice(1).sort()).toEqual([...new Set(fromContext)].map((s) => `!${s}`).sort());
  });
});

describe('`npm run build` as the image runs it', () => {
  let dir: string | undefined;
  beforeAll(async () => {
    // The image's layout: package.json (type: module), node_modules and dist/ side by side.
    dir = await mkdtemp(join(tmpdir(), 'latchkey-image-'));
    await writeFile(join(dir, 'package.json'), await readFile(join(repoRoot, 'package.json')));
    await symlink(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
    await execFileAsync('npm', ['run', 'build', '--', '--outDir', join(dir, 'dist')], {
      cwd: repoRoot,
      timeout: 180_000,
    });
  }, 200_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('emits the entry point, which prints the same usage as the source', async () => {
    const built = await execFileAsync(NODE, [join(dir as string, 'dist/cli/main.js'), '--help']);
    const source = await execFileAsync(NODE, [join(repoRoot, 'src/cli/main.ts'), '--help']);
    expect(built.stdout).toMatch(/^Usage: latchkey <command> \[options\]\n/);
    expect(built.stdout).toContain('\n  operator   ');
    expect(built.stdout).toBe(source.stdout);
  });

  it('runs the operator command of the image CMD', async () => {
    const { stdout } = await execFileAsync(NODE, [
      join(dir as string, 'dist/cli/main.js'),
      'operator',
      '--help',
    ]);
    expect(stdout).toBe(OPERATOR_USAGE);
  });

  it('prints the version of the package.json beside dist/', async () => {
    const { stdout } = await execFileAsync(NODE, [join(dir as string, 'dist/cli/main.js'), '--version']);
    expect(stdout).toBe(`latchkey ${packageJson.version}\n`);
  });
});
