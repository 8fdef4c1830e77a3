import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KIND_NAMES } from '../../src/api/kinds.ts';
import { ARGOCD_CM_FILE, readHealthScripts, renderArgocdCm } from '../../scripts/generate-argocd-cm.ts';

describe('gitops/argocd/argocd-cm-health.yaml', () => {
  it('is what scripts/generate-argocd-cm.ts generates from the health.lua files', async () => {
    const committed = await readFile(ARGOCD_CM_FILE, 'utf8');
    expect(committed, 'differs from gitops/argocd/health: run node scripts/generate-argocd-cm.ts').toBe(
      renderArgocdCm(await readHealthScripts()),
    );
  });

  it('carries each health.lua byte for byte under the key Argo CD looks up for its kind', async () => {
    const cm = parse(await readFile(ARGOCD_CM_FILE, 'utf8')) as {
      metadata: { name: string; namespace: string };
      data: Record<string, string>;
    };
    expect(cm.metadata).toMatchObject({ name: 'argocd-cm', namespace: 'argocd' });
    const scripts = await readHealthScripts();
    expect(Object.keys(cm.data).sort()).toEqual(
      KIND_NAMES.map((k) => `resource.customizations.health.latchkey.dev_${k}`).sort(),
    );
    for (const { group, kind, lua } of scripts) {
      expect(cm.data[`resource.customizations.health.${group}_${kind}`], kind).toBe(lua);
    }
  });

  it('refuses a script whose text a YAML literal block would not keep as it is', () => {
    expect(() => renderArgocdCm([{ group: 'latchkey.dev', kind: 'Role', lua: 'return {}' }])).toThrow(
      'latchkey.dev/Role/health.lua must end with exactly one newline',
    );
    expect(() =>
      renderArgocdCm([{ group: 'latchkey.dev', kind: 'Role', lua: 'local hs = {} \nreturn hs\n' }]),
    ).toThrow('latchkey.dev/Role/health.lua has trailing whitespace: local hs = {} ');
  });
});
