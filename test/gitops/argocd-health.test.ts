import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { API_VERSION } from '../../src/api/common.ts';
import { KIND_NAMES, type KindName } from '../../src/api/kinds.ts';
import { Reason, type ReasonName } from '../../src/store/reasons.ts';
import { glua, repoRoot, runHealthScript, type HealthStatus } from './lua.ts';

const HEALTH_DIR = join(repoRoot, 'gitops/argocd/health/latchkey.dev');
const scriptOf = (kind: string) => join(HEALTH_DIR, kind, 'health.lua');

interface HealthTest {
  tests: { healthStatus: HealthStatus; inputPath: string }[];
}

async function healthTests(kind: string): Promise<HealthTest> {
  return parse(await readFile(join(HEALTH_DIR, kind, 'health_test.yaml'), 'utf8')) as HealthTest;
}

async function fixture(kind: string, inputPath: string): Promise<Record<string, unknown>> {
  return parse(await readFile(join(HEALTH_DIR, kind, inputPath), 'utf8')) as Record<string, unknown>;
}

// Read before the tests are declared: vitest collects one test per case of every health_test.yaml.
const cases = await Promise.all(KIND_NAMES.map(async (kind) => ({ kind, spec: await healthTests(kind) })));

beforeAll(async () => {
  // The first run builds glua from the Go module proxy (seconds, once); later runs reuse the cache.
  await glua();
}, 300_000);

describe('Argo CD health checks (gitops/argocd/health), run by gopher-lua as Argo CD runs them', () => {
  for (const { kind, spec } of cases) {
    describe(`latchkey.dev/${kind}`, () => {
      for (const { healthStatus, inputPath } of spec.tests) {
        it(`${inputPath} is ${healthStatus.status}`, async () => {
          const object = await fixture(kind, inputPath);
          expect(await runHealthScript(scriptOf(kind), object)).toEqual(healthStatus);
        });
      }
    });
  }
});

describe('the health check folders', () => {
  it('hold one folder per kind, named as Argo CD names resource customizations', async () => {
    expect((await readdir(HEALTH_DIR)).sort()).toEqual([...KIND_NAMES].sort());
  });

  it('are one script: every kind reports through the same Ready condition', async () => {
    const scripts = await Promise.all(KIND_NAMES.map((k) => readFile(scriptOf(k), 'utf8')));
    for (const [i, script] of scripts.entries()) {
      expect(script, `${KIND_NAMES[i]}/health.lua differs from ${KIND_NAMES[0]}/health.lua`).toBe(scripts[0]);
    }
  });

  for (const { kind, spec } of cases) {
    it(`${kind}: health_test.yaml lists every fixture, each of its kind, and covers all three health states`, async () => {
      const listed = spec.tests.map((t) => t.inputPath).sort();
      const present = (await readdir(join(HEALTH_DIR, kind, 'testdata'))).map((f) => `testdata/${f}`).sort();
      expect(listed).toEqual(present);
      for (const path of listed) {
        expect(await fixture(kind, path), path).toMatchObject({ apiVersion: API_VERSION, kind });
      }
      expect(new Set(spec.tests.map((t) => t.healthStatus.status))).toEqual(
        new Set(['Healthy', 'Progressing', 'Degraded']),
      );
    });
  }
});

type Health = 'Healthy' | 'Progressing' | 'Degraded';

/**
 * How each reason shows in Argo CD, with the Ready status it comes with. Typed by ReasonName, so a new reason
 * does not type-check until someone decides whether it means waiting or broken. `null`: never on Ready.
 */
const HEALTH_BY_REASON: Record<ReasonName, { ready: 'True' | 'False' | 'Unknown'; health: Health } | null> = {
  Reconciled: { ready: 'True', health: 'Healthy' },
  ReferenceNotFound: { ready: 'False', health: 'Degraded' },
  ReferenceNotAllowed: { ready: 'False', health: 'Degraded' },
  ScopeNotDeclared: { ready: 'False', health: 'Degraded' },
  IdentifierConflict: { ready: 'False', health: 'Degraded' },
  NameReserved: { ready: 'False', health: 'Degraded' },
  NamespacesNotAllowed: { ready: 'False', health: 'Degraded' },
  ClientIdConflict: { ready: 'False', health: 'Degraded' },
  ClientIdNotAllowed: { ready: 'False', health: 'Degraded' },
  OrganizationNameConflict: { ready: 'False', health: 'Degraded' },
  InvalidLifetime: { ready: 'False', health: 'Degraded' },
  SecretMissing: { ready: 'False', health: 'Progressing' },
  SecretTooWeak: { ready: 'False', health: 'Degraded' },
  SecretNotOwned: { ready: 'False', health: 'Degraded' },
  SecretAvailable: null,
  AuthMethodNotSupported: { ready: 'False', health: 'Degraded' },
  InvalidClientKeys: { ready: 'False', health: 'Degraded' },
  GrantTypeNotSupported: { ready: 'False', health: 'Degraded' },
  GrantNeedsFederatedIdentity: { ready: 'False', health: 'Degraded' },
  IssuerVerified: null,
  IssuerUnreachable: { ready: 'False', health: 'Degraded' },
  InvalidSpec: { ready: 'False', health: 'Degraded' },
  DiscoveryNotChecked: { ready: 'Unknown', health: 'Progressing' },
  TestConnectionNotAllowed: { ready: 'False', health: 'Degraded' },
  ConnectionCannotSignIn: { ready: 'False', health: 'Degraded' },
};

function objectWithReady(kind: KindName, ready: { status: string; reason: string }): Record<string, unknown> {
  return {
    apiVersion: API_VERSION,
    kind,
    metadata: { name: 'x', namespace: 'team', generation: 7 },
    spec: {},
    status: {
      observedGeneration: 7,
      conditions: [
        {
          type: 'Ready',
          ...ready,
          message: `the message of ${ready.reason}`,
          observedGeneration: 7,
          lastTransitionTime: '2026-11-23T09:30:00Z',
        },
      ],
    },
  };
}

describe('health by condition reason (src/store/reasons.ts)', () => {
  for (const reason of Object.values(Reason)) {
    const expected = HEALTH_BY_REASON[reason];
    if (expected === null) continue;
    it(`Ready=${expected.ready} reason ${reason} is ${expected.health} for every kind`, async () => {
      for (const kind of KIND_NAMES) {
        const object = objectWithReady(kind, { status: expected.ready, reason });
        expect(await runHealthScript(scriptOf(kind), object), kind).toEqual({
          status: expected.health,
          message: `the message of ${reason}`,
        });
      }
    });
  }

  it('a reason Latchkey does not know yet is Degraded when Ready is False: broken until shown otherwise', async () => {
    const object = objectWithReady('OAuthClient', { status: 'False', reason: 'SomethingNew' });
    expect(await runHealthScript(scriptOf('OAuthClient'), object)).toEqual({
      status: 'Degraded',
      message: 'the message of SomethingNew',
    });
  });

  it('a Ready condition without a message shows its reason', async () => {
    const object = objectWithReady('Role', { status: 'False', reason: 'ScopeNotDeclared' });
    const conditions = (object.status as { conditions: Record<string, unknown>[] }).conditions;
    delete conditions[0]?.message;
    expect(await runHealthScript(scriptOf('Role'), object)).toEqual({
      status: 'Degraded',
      message: 'ScopeNotDeclared',
    });
  });

  it('a status without a Ready condition is waiting for the operator', async () => {
    const object = objectWithReady('Connection', { status: 'True', reason: 'Reconciled' });
    object.status = { observedGeneration: 7, conditions: [] };
    expect(await runHealthScript(scriptOf('Connection'), object)).toEqual({
      status: 'Progressing',
      message: 'Waiting for the operator to observe generation 7',
    });
  });

  it('docs/argocd.md documents every reason with the health the scripts give it', async () => {
    const docs = await readFile(join(repoRoot, 'docs/argocd.md'), 'utf8');
    const rows = new Map(
      [...docs.matchAll(/^\| `(\w+)` +\| ([^|]+?) +\| ([^|]+?) +\|/gm)].map(([, reason, ready, health]) => [
        reason,
        { ready, health },
      ]),
    );
    for (const reason of Object.values(Reason)) {
      const expected = HEALTH_BY_REASON[reason];
      expect(rows.get(reason), `row of ${reason} in docs/argocd.md`).toEqual(
        expected === null
          ? { ready: 'never on Ready', health: '—' }
          : { ready: expected.ready, health: expected.health },
      );
    }
  });
});
