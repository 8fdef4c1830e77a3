/**
 * The guides in docs/workloads show the snippets that the other tests here run: a code block after
 * `<!-- include: PATH -->` must equal that file, one after `<!-- excerpt: PATH -->` must occur in it (lines
 * compared without their indentation), and the block after `<!-- tested: mount -->` is run as a person would.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { codeBlocks, type Block } from '../support/markdown.ts';
import { ROOT, startLatchkey, type Latchkey } from './harness.ts';

const DOCS = join(ROOT, 'docs/workloads');
const GUIDES = ['go.md', 'python.md', 'java.md', 'node.md'];

async function guide(name: string): Promise<Block[]> {
  return codeBlocks(await readFile(join(DOCS, name), 'utf8'));
}

const SNIPPETS: Record<string, string> = {
  'go.md': 'snippets/go/main.go',
  'python.md': 'snippets/python/get_token.py',
  'java.md': 'snippets/java/src/main/java/example/GetToken.java',
  'node.md': 'snippets/node/get-token.mjs',
};

describe('docs/workloads', () => {
  it('has a guide for each language, and the README links each', async () => {
    const files = (await readdir(DOCS)).sort();
    expect(files).toEqual(['README.md', ...GUIDES].sort());
    const readme = await readFile(join(DOCS, 'README.md'), 'utf8');
    for (const g of GUIDES) expect(readme).toContain(`](${g})`);
  });

  it.each(GUIDES)('%s shows its snippet verbatim', async (name) => {
    const included = (await guide(name)).filter((b) => b.marker?.kind === 'include');
    expect(included.map((b) => b.marker?.arg)).toContain(SNIPPETS[name]);
  });

  it.each(['README.md', ...GUIDES])(
    '%s: every included block equals its file, every excerpt occurs in it',
    async (name) => {
      const marked = (await guide(name)).filter(
        (b) => b.marker?.kind === 'include' || b.marker?.kind === 'excerpt',
      );
      expect(marked.length).toBeGreaterThan(0);
      for (const b of marked) {
        const { kind, arg } = b.marker as { kind: string; arg: string };
        const file = await readFile(join(ROOT, arg), 'utf8');
        if (kind === 'include') {
          expect(b.body, `${name}:${b.line} differs from ${arg}`).toBe(file);
        } else {
          const strip = (text: string) => text.split('\n').map((l) => l.trim());
          expect(strip(file).join('\n'), `${name}:${b.line} is not in ${arg}`).toContain(
            strip(b.body.trimEnd()).join('\n'),
          );
        }
      }
    },
  );

  it.each(['README.md', ...GUIDES])(
    '%s: each Deployment mounts the client Secret read-only where the snippets look',
    async (name) => {
      const deployments = (await guide(name))
        .filter((b) => b.lang === 'yaml')
        .flatMap((b) => parseAllDocuments(b.body).map((d) => d.toJS() as Record<string, unknown>))
        .filter((d) => d['kind'] === 'Deployment');
      expect(deployments).toHaveLength(1);
      const pod = (deployments[0] as { spec: { template: { spec: PodSpec } } }).spec.template.spec;
      expect(pod.volumes).toEqual([{ name: 'latchkey', secret: { secretName: 'order-worker-oauth' } }]);
      expect(pod.containers).toHaveLength(1);
      expect(pod.containers[0]?.volumeMounts).toEqual([
        { name: 'latchkey', mountPath: '/var/run/secrets/latchkey', readOnly: true },
      ]);
      expect(pod.containers[0]?.env).toEqual([
        { name: 'LATCHKEY_AUDIENCE', value: 'https://inventory.internal' },
      ]);
      for (const snippet of Object.values(SNIPPETS)) {
        expect(await readFile(join(ROOT, snippet), 'utf8')).toContain('/var/run/secrets/latchkey');
      }
    },
  );
});

interface PodSpec {
  containers: { volumeMounts?: unknown; env?: unknown }[];
  volumes: unknown;
}

describe('the README how-to that writes the Secret as files', () => {
  let latchkey: Latchkey | undefined;
  beforeAll(async () => {
    latchkey = await startLatchkey();
  });
  afterAll(async () => {
    await latchkey?.close();
  });

  it('writes the same files the kubelet would, and exports the variables the snippets read', async () => {
    const l = latchkey as Latchkey;
    const tested = (await guide('README.md')).filter((b) => b.marker?.kind === 'tested');
    expect(tested.map((b) => [b.marker?.arg, b.lang])).toEqual([['mount', 'sh']]);
    const script = (tested[0] as Block).body;
    // The how-to writes to a fixed folder in /tmp; the test writes to its own.
    expect(script).toContain('dir=/tmp/order-worker-secret\n');
    const target = join(l.workDir, 'how-to');
    const { stdout } = await promisify(execFile)(
      'bash',
      [
        '-euo',
        'pipefail',
        '-c',
        `${script.replace('dir=/tmp/order-worker-secret', `dir=${target}`)}\nenv | grep ^LATCHKEY_ | sort`,
      ],
      {
        cwd: l.workDir,
        env: Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LATCHKEY_'))),
      },
    );
    expect(stdout).toBe(`LATCHKEY_AUDIENCE=https://inventory.internal\nLATCHKEY_SECRET_DIR=${target}\n`);
    for (const key of ['client_id', 'client_secret', 'issuer', 'token_endpoint']) {
      expect(await readFile(join(target, key), 'utf8')).toBe(await readFile(join(l.secretDir, key), 'utf8'));
    }
  });
});
