/**
 * The release and CI workflows cannot run here, so what they must do is checked from their YAML: a tag
 * triggers the release; nothing is pushed before the tests pass; the image is built for both platforms with an
 * SBOM and provenance, signed with cosign and pushed where the chart's default image points; the chart goes to
 * an OCI registry; every action is pinned by commit.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  name?: string;
  uses?: string;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  steps?: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

const readYaml = async <T>(path: string): Promise<T> => parse(await readFile(join(ROOT, path), 'utf8')) as T;
const readText = (path: string) => readFile(join(ROOT, path), 'utf8');

const release = await readYaml<Workflow>('.github/workflows/release.yml');
const ci = await readYaml<Workflow>('.github/workflows/ci.yml');
const values = await readYaml<{ image: { repository: string; tag: string } }>('charts/latchkey/values.yaml');
const chart = await readYaml<{ version: string; appVersion: string }>('charts/latchkey/Chart.yaml');
const packageJson = JSON.parse(await readText('package.json')) as { version: string };

const job = (workflow: Workflow, name: string): Job => {
  const found = workflow.jobs[name];
  if (!found) throw new Error(`no job ${name}`);
  return found;
};
const needs = (j: Job) => (j.needs === undefined ? [] : Array.isArray(j.needs) ? j.needs : [j.needs]);
const steps = (j: Job) => j.steps ?? [];
const action = (s: Step) => s.uses?.split('@')[0];
const stepUsing = (j: Job, name: string): Step => {
  const found = steps(j).find((s) => action(s) === name);
  if (!found) throw new Error(`no step uses ${name}`);
  return found;
};
const indexOf = (j: Job, predicate: (s: Step) => boolean) => steps(j).findIndex(predicate);

/** Every job the given one waits for, directly or through others. */
function upstream(workflow: Workflow, name: string): Set<string> {
  const seen = new Set<string>();
  const visit = (n: string) => {
    for (const dep of needs(job(workflow, n))) {
      if (!seen.has(dep)) {
        seen.add(dep);
        visit(dep);
      }
    }
  };
  visit(name);
  return seen;
}

describe('.github/workflows/release.yml', () => {
  const image = job(release, 'image');
  const chartJob = job(release, 'chart');
  const build = stepUsing(image, 'docker/build-push-action');

  it('runs on a version tag, and on nothing else', () => {
    expect(Object.keys(release.on)).toEqual(['push']);
    expect(release.on['push']).toEqual({
      tags: ['v[0-9]+.[0-9]+.[0-9]+', 'v[0-9]+.[0-9]+.[0-9]+-*'],
    });
  });

  it('runs npm ci && npm test (the CI workflow) before anything is pushed', () => {
    expect(job(release, 'test').uses).toBe('./.github/workflows/ci.yml');
    const test = steps(job(ci, 'test')).find((s) => s.run === 'npm ci && npm test');
    expect(test, 'ci.yml runs `npm ci && npm test`').toBeDefined();
    expect(ci.on).toHaveProperty('workflow_call');
    for (const pushing of ['image', 'chart']) expect(upstream(release, pushing)).toContain('test');
  });

  it('refuses a tag that is not the version of package.json and of the chart', () => {
    const check = steps(job(release, 'version')).find((s) => s.id === 'version');
    expect(check?.run).toContain("require('./package.json').version");
    expect(check?.run).toContain("'s/^version: *//p' charts/latchkey/Chart.yaml");
    expect(check?.run).toContain("'s/^appVersion: *//p' charts/latchkey/Chart.yaml");
    expect(upstream(release, 'image')).toContain('version');
  });

  it('builds for linux/amd64 and linux/arm64 with QEMU and buildx, and pushes', () => {
    expect(String(build.with?.['platforms']).split(',')).toEqual(['linux/amd64', 'linux/arm64']);
    expect(build.with?.['push']).toBe(true);
    expect(indexOf(image, (s) => action(s) === 'docker/setup-qemu-action')).toBeGreaterThanOrEqual(0);
    expect(indexOf(image, (s) => action(s) === 'docker/setup-qemu-action')).toBeLessThan(
      indexOf(image, (s) => s === build),
    );
    expect(indexOf(image, (s) => action(s) === 'docker/setup-buildx-action')).toBeLessThan(
      indexOf(image, (s) => s === build),
    );
  });

  it('attaches an SBOM and SLSA provenance to the image', () => {
    expect(build.with?.['sbom']).toBe(true);
    expect(build.with?.['provenance']).toBe('mode=max');
  });

  it('builds from the base image pinned by digest', () => {
    expect(build.with?.['build-args']).toBe('NODE_IMAGE=${{ steps.base.outputs.image }}');
    const base = steps(image).find((s) => s.id === 'base');
    expect(base?.run).toContain("require('./package.json').devDependencies.node");
    expect(base?.run).toContain('-bookworm-slim');
  });

  it('signs the pushed digest keyless with cosign, then verifies the signature', () => {
    const installer = indexOf(image, (s) => action(s) === 'sigstore/cosign-installer');
    const sign = indexOf(image, (s) => s.run?.includes('cosign sign --yes "${IMAGE}@${DIGEST}"') === true);
    const verify = indexOf(image, (s) => s.run?.includes('cosign verify "${IMAGE}@${DIGEST}"') === true);
    expect(installer).toBeGreaterThan(indexOf(image, (s) => s === build));
    expect(sign).toBeGreaterThan(installer);
    expect(verify).toBeGreaterThan(sign);
    expect(steps(image)[sign]?.env?.['DIGEST']).toBe('${{ steps.build.outputs.digest }}');
    expect(build.id).toBe('build');
    expect(image.permissions).toEqual({ contents: 'read', packages: 'write', 'id-token': 'write' });
  });

  it("pushes the image the chart's values point at, tagged with the chart's appVersion", () => {
    expect(release.env?.['IMAGE']).toBe(values.image.repository);
    expect(stepUsing(image, 'docker/metadata-action').with?.['images']).toBe('${{ env.IMAGE }}');
    expect(stepUsing(image, 'docker/metadata-action').with?.['tags']).toContain(
      'type=semver,pattern={{version}}',
    );
    // The chart's default tag is its appVersion, which the version job holds equal to the tag.
    expect(values.image.tag).toBe('');
    expect(chart.appVersion).toBe(packageJson.version);
    expect(chart.version).toBe(packageJson.version);
  });

  it('packages the chart and pushes it as an OCI artifact beside the image, signed', () => {
    const push = steps(chartJob).find((s) => s.id === 'push');
    expect(release.env?.['CHART_REPOSITORY']).toBe(
      `oci://${values.image.repository.split('/').slice(0, -1).join('/')}/charts`,
    );
    expect(push?.run).toContain(
      '"${HELM}" package charts/latchkey --version "${VERSION}" --app-version "${VERSION}"',
    );
    expect(push?.run).toContain('"${HELM}" push "chart-dist/latchkey-${VERSION}.tgz" "${CHART_REPOSITORY}"');
    expect(steps(chartJob).some((s) => s.run?.includes('cosign sign --yes') === true)).toBe(true);
    expect(upstream(release, 'chart')).toContain('image');
  });

  it('is what docs/image.md tells people to pull, verify and install', async () => {
    const page = await readText('docs/image.md');
    expect(page).toContain(`${values.image.repository}:${packageJson.version}`);
    expect(page).toContain(`${release.env?.['CHART_REPOSITORY']}/latchkey --version ${packageJson.version}`);
    expect(page).toContain('workflows/release\\.yml@refs/tags/v');
  });

  it('gives write permissions only to the jobs that push', () => {
    expect(release.permissions).toEqual({ contents: 'read' });
    for (const [name, j] of Object.entries(release.jobs)) {
      const writes = Object.entries(j.permissions ?? {}).filter(([, level]) => level === 'write');
      expect(writes.length > 0, name).toBe(name === 'image' || name === 'chart');
    }
  });
});

describe('.github/workflows/ci.yml', () => {
  it('runs on pull requests and on pushes to main', () => {
    expect(ci.on).toMatchObject({ pull_request: null, push: { branches: ['main'] } });
  });

  it('sets up what npm test needs besides Node.js: Go, Python, a JDK', () => {
    const used = steps(job(ci, 'test')).map(action);
    for (const setup of [
      'actions/setup-node',
      'actions/setup-go',
      'actions/setup-python',
      'actions/setup-java',
    ])
      expect(used).toContain(setup);
  });
});

describe('both workflows', () => {
  it.each(['ci.yml', 'release.yml'])(
    '%s pins every action by a full commit SHA, with its tag in a comment',
    async (file) => {
      const text = await readText(`.github/workflows/${file}`);
      const uses = [...text.matchAll(/^\s*(?:- )?uses: (\S+)(.*)$/gm)];
      expect(uses.length).toBeGreaterThan(0);
      for (const [line, ref = '', comment = ''] of uses) {
        if (ref.startsWith('./')) continue;
        expect(ref, line).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
        expect(comment, line).toMatch(/^ # v\d+\.\d+\.\d+$/);
      }
    },
  );

  it('pin each action to one commit in both', async () => {
    const text =
      (await readText('.github/workflows/ci.yml')) + (await readText('.github/workflows/release.yml'));
    const pins = new Map<string, Set<string>>();
    for (const [, name = '', sha = ''] of text.matchAll(/uses: ([\w.-]+\/[\w.-]+)@([0-9a-f]{40})/g)) {
      pins.set(name, (pins.get(name) ?? new Set()).add(sha));
    }
    expect(pins.size).toBeGreaterThan(5);
    for (const [name, shas] of pins) expect(shas.size, name).toBe(1);
  });
});
