/**
 * NOTES.txt, which `helm template` does not render: what an operator reads right after `helm install`, so its
 * warnings must appear exactly when the values call for them and its commands must name the release's objects.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  HELM_BUILD_TIMEOUT_MS,
  helmBinary,
  modeValues,
  one,
  render,
  renderNotes,
  type RenderOptions,
} from './helm.ts';

/** The notes' paragraphs, split at blank lines. */
const paragraphs = (notes: string) => notes.split(/\n\s*\n/).map((p) => p.trim());

/** The one paragraph starting with `start`; throws when there is not exactly one. */
function paragraph(notes: string, start: string): string {
  const found = paragraphs(notes).filter((p) => p.startsWith(start));
  if (found.length !== 1)
    throw new Error(`expected one paragraph starting "${start}", found ${found.length}`);
  return found[0] as string;
}

/** Fails on empty or broken notes, so that an absent paragraph means the template left it out. */
function expectRendered(notes: string): void {
  expect(notes).toMatch(/^Latchkey \S+ is starting in /);
}

beforeAll(() => helmBinary(), HELM_BUILD_TIMEOUT_MS);

describe('NOTES.txt: the replica count', () => {
  it.each([
    [1, '(1 replica)'],
    [2, '(2 replicas)'],
  ])('says %i as %s', async (replicas, said) => {
    const notes = await renderNotes({
      set: { replicas, 'state.backend': 'postgres', 'state.postgres.existingSecret': 'db' },
    });
    expect(notes.split('\n')[0]).toContain(said);
  });
});

describe('NOTES.txt: the runtime state warning', () => {
  const warned: { replicas: number; backend: string }[] = [
    { replicas: 3, backend: 'embedded' },
    { replicas: 2, backend: 'memory' },
  ];
  for (const { replicas, backend } of warned) {
    it(`warns that ${replicas} replicas with state.backend=${backend} each keep their own state`, async () => {
      const notes = await renderNotes({ set: { replicas, 'state.backend': backend } });
      const warning = paragraph(notes, 'WARNING:');
      expect(warning).toMatch(
        new RegExp(
          `^WARNING: ${replicas} replicas with state\\.backend=${backend}: each replica keeps its own`,
        ),
      );
      expect(warning).toContain('Set state.backend=postgres (docs/runtime-state.md)');
    });
  }

  const quiet: { name: string; set: Record<string, unknown> }[] = [
    {
      name: '3 replicas with state.backend=postgres',
      set: { replicas: 3, 'state.backend': 'postgres', 'state.postgres.existingSecret': 'latchkey-db' },
    },
    { name: '1 replica with state.backend=embedded', set: { replicas: 1, 'state.backend': 'embedded' } },
    { name: '1 replica with state.backend=memory', set: { replicas: 1, 'state.backend': 'memory' } },
  ];
  for (const { name, set } of quiet) {
    it(`gives no warning for ${name}`, async () => {
      const notes = await renderNotes({ set });
      expectRendered(notes);
      expect(notes).not.toContain('WARNING');
    });
  }
});

describe('NOTES.txt: the plain HTTP paragraph', () => {
  const PLAIN_HTTP = 'The token port serves plain HTTP (tls.mode=none)';

  it('says with tls.mode=none that secrets and tokens cross the network unencrypted', async () => {
    const plain = paragraph(await renderNotes(), PLAIN_HTTP);
    expect(plain).toContain('client secrets and tokens cross the network unencrypted');
    expect(plain).toContain('Set tls.mode=secret or tls.mode=certManager');
  });

  const encrypted: { mode: string; values: string }[] = [
    { mode: 'secret', values: modeValues.tlsSecret },
    { mode: 'certManager', values: modeValues.tlsCertManager },
  ];
  for (const { mode, values } of encrypted) {
    it(`is left out with tls.mode=${mode}, whose issuer is https`, async () => {
      const notes = await renderNotes({ values: [values] });
      expectRendered(notes);
      expect(notes).toContain('\nIssuer: https://latchkey.latchkey-system.svc:8080\n');
      expect(notes).not.toContain('plain HTTP');
    });
  }
});

describe("NOTES.txt: the release's namespace and fullname", () => {
  const releases: { name: string; options: RenderOptions; namespace: string; fullname: string }[] = [
    { name: 'the default release', options: {}, namespace: 'latchkey-system', fullname: 'latchkey' },
    {
      name: 'release auth in namespace identity',
      options: { releaseName: 'auth', namespace: 'identity' },
      namespace: 'identity',
      fullname: 'auth-latchkey',
    },
    {
      name: 'fullnameOverride=tokens',
      options: { releaseName: 'auth', namespace: 'identity', set: { fullnameOverride: 'tokens' } },
      namespace: 'identity',
      fullname: 'tokens',
    },
  ];
  for (const { name, options, namespace, fullname } of releases) {
    it(`names ${namespace}/${fullname} in the issuer and the rollout command for ${name}`, async () => {
      const notes = await renderNotes(options);
      expect(notes).toMatch(new RegExp(`^Latchkey \\S+ is starting in ${namespace} \\(`));
      expect(notes).toContain(`\nIssuer: http://${fullname}.${namespace}.svc:8080\n`);
      expect(notes).toContain(`\n  kubectl -n ${namespace} rollout status deployment/${fullname}\n`);
      expect(notes).toContain(`\n  kubectl -n ${namespace} get lease latchkey-operator `);

      // The Deployment the rollout command waits for is the one the chart renders.
      const deployment = one(
        await render({ ...options, showOnly: ['templates/deployment.yaml'] }),
        'Deployment',
      );
      expect(deployment.metadata).toMatchObject({ name: fullname, namespace });
    });
  }
});
