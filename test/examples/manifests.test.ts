/**
 * examples/ offline: what `latchkey validate` and `latchkey dev` see, without a cluster. The integration test
 * test/integration/examples-scenarios.test.ts applies the same folders to a real API server.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tryItCommand } from '../../src/dev/try-it.ts';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import { loadManifestDir, manifestFiles, parseManifests } from '../../src/manifests/index.ts';
import { compile } from '../../src/store/compile.ts';
import { defaultClientId, secretNameOf } from '../../src/store/names.ts';
import type { DeclaredOAuthClient, SecretData } from '../../src/store/objects.ts';
import { DEV_ONLY_SCENARIOS } from './dev-only.ts';

const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;
const files = await manifestFiles(EXAMPLES);
const scenarios = (await readdir(EXAMPLES, { withFileTypes: true }))
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

describe('examples/', () => {
  it('has scenario folders and YAML files in them only', () => {
    expect(scenarios.sort()).toEqual([
      'external-secret',
      'multi-tenant',
      'oidc-connection',
      'people-sign-in',
      'secretless-workload',
      'two-services',
    ]);
    expect(files.map((f) => relative(EXAMPLES, f)).filter((f) => !f.includes('/'))).toEqual([]);
  });

  it.each(files.map((f) => relative(EXAMPLES, f)))(
    '%s passes offline validation with no problem',
    async (f) => {
      const loaded = parseManifests(await readFile(join(EXAMPLES, f), 'utf8'), f);
      expect(loaded.problems).toEqual([]);
    },
  );

  it.each(scenarios)(
    '%s/ has a README.md, and its 00-namespaces.yaml declares exactly the namespaces its objects use',
    async (scenario) => {
      const dir = join(EXAMPLES, scenario);
      expect((await readFile(join(dir, 'README.md'), 'utf8')).length).toBeGreaterThan(0);
      const loaded = await loadManifestDir(dir);
      expect(loaded.problems).toEqual([]);
      const own = parseManifests(
        await readFile(join(dir, '00-namespaces.yaml'), 'utf8'),
        '00-namespaces.yaml',
      );
      // kubectl applies a folder in file order: a namespace declared later than its objects fails the apply.
      expect(own.namespaces.map((n) => n.name).sort()).toEqual(loaded.namespaces.map((n) => n.name).sort());
      const used = new Set([
        ...loaded.objects.map((o) => o.metadata.namespace),
        ...loaded.secrets.map((s) => s.namespace),
      ]);
      expect([...used].sort()).toEqual(own.namespaces.map((n) => n.name).sort());
    },
  );

  it.each(scenarios)(
    '%s/ declares a test Connection only if it is a dev-only scenario whose README says so',
    async (scenario) => {
      const loaded = await loadManifestDir(join(EXAMPLES, scenario));
      const testConnections = loaded.objects.filter((o) => o.kind === 'Connection' && o.spec.type === 'test');
      expect(testConnections.length > 0).toBe(DEV_ONLY_SCENARIOS.includes(scenario));
      if (DEV_ONLY_SCENARIOS.includes(scenario)) {
        expect(await readFile(join(EXAMPLES, scenario, 'README.md'), 'utf8')).toContain(
          '`latchkey dev` only',
        );
      }
    },
  );

  it('loads as one folder, as `latchkey dev` serves it: no duplicate, no conflict, every reference resolved', async () => {
    const loaded = await loadManifestDir(EXAMPLES);
    expect(loaded.problems).toEqual([]);
    const clients = loaded.objects.filter((o): o is DeclaredOAuthClient => o.kind === 'OAuthClient');
    // The Secrets dev mode would generate, so that clients resolve as they do once it runs.
    const generated: SecretData[] = clients
      .filter((c) => c.spec.secret.source === 'Generate')
      .map((c) => ({
        namespace: c.metadata.namespace,
        name: secretNameOf(c),
        data: { client_secret: 'g'.repeat(43) },
      }));
    const { snapshot, resolutions } = compile(
      {
        objects: loaded.objects,
        secrets: new Map([...loaded.secrets, ...generated].map((s) => [`${s.namespace}/${s.name}`, s])),
        namespaces: new Map(loaded.namespaces.map((n) => [n.name, n.labels])),
        allowTestConnections: true,
      },
      keySetOf(await generateSigningKeys()),
      1,
    );
    const notReady = [...resolutions.values()]
      .filter((r) => !r.ready)
      .map(
        (r) => `${r.kind} ${r.namespace}/${r.name}: ${r.conditions.find((c) => c.type === 'Ready')?.reason}`,
      );
    // Only the operator contacts issuers; offline, the Connections cannot be verified. corp-sso waits for the
    // upstream client secret its README has you create; the test Connection signs people in as dev mode allows.
    expect(notReady.sort()).toEqual([
      'Connection backoffice/corp-sso: SecretMissing',
      'Connection warehouse/cluster: DiscoveryNotChecked',
    ]);
    expect(snapshot.clients.get('notes-web.notes')?.people?.connections).toEqual(['notes/test-people']);
    expect([...snapshot.apis.keys()].sort()).toEqual([
      'https://admin.backoffice.internal',
      'https://events.analytics.internal',
      'https://invoices.internal',
      'https://notes.internal',
      'https://orders.internal',
      'https://payments.internal',
      'https://stock.warehouse.internal',
    ]);
    expect([...snapshot.clients.keys()].sort()).toEqual(
      clients.map((c) => c.spec.clientId ?? defaultClientId(c.metadata.namespace, c.metadata.name)).sort(),
    );

    // `latchkey dev`'s ready line shows a curl for one client; it must work as printed.
    const curl = tryItCommand(
      snapshot,
      { secretPath: (ns, name) => join('.latchkey', 'secrets', ns, `${name}.yaml`) },
      clients,
      'http://127.0.0.1:8080/oauth2/token',
    );
    const shown = clients.find((c) =>
      curl?.includes(`-d client_id=${defaultClientId(c.metadata.namespace, c.metadata.name)} `),
    );
    expect(shown?.metadata).toMatchObject({ namespace: 'backoffice', name: 'audit-reporter' });
    expect(shown?.spec.organizationUsage).not.toBe('require');
    expect(curl).not.toContain('audience');
  });
});
