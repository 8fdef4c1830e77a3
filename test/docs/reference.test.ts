import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DocsSourceError,
  documentedMembers,
  generateDocs,
  REASON_GUIDE,
  renderTroubleshooting,
} from '../../scripts/generate-docs.ts';
import { KINDS } from '../../src/api/kinds.ts';
import { AUTH_METHOD_CAPABILITIES, GRANT_CAPABILITIES } from '../../src/api/protocol-capabilities.ts';
import { Reason } from '../../src/store/reasons.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const REASONS = join(ROOT, 'src', 'store', 'reasons.ts');
const docs = await generateDocs();

describe('generated docs', () => {
  it('writes a reference page per kind, an index and the troubleshooting guide', () => {
    expect(docs.map((d) => d.path).sort()).toEqual(
      [
        'docs/reference/README.md',
        ...KINDS.map((k) => `docs/reference/${k.singular}.md`),
        'docs/troubleshooting.md',
      ].sort(),
    );
  });

  it('leaves no page in docs/reference/ that is not generated, e.g. of a renamed kind', async () => {
    const committed = (await readdir(join(ROOT, 'docs', 'reference'))).map((f) => `docs/reference/${f}`);
    expect(committed.sort()).toEqual(
      docs
        .map((d) => d.path)
        .filter((p) => p.startsWith('docs/reference/'))
        .sort(),
    );
  });

  it.each(docs.map((d) => [d.path, d.content] as const))(
    '%s is committed as generated (run `node scripts/generate-docs.ts`)',
    async (path, content) => {
      expect(await readFile(join(ROOT, path), 'utf8')).toBe(content);
    },
  );

  it('documents every field of the OAuthClient spec with its type, default and allowed values', () => {
    const page = docs.find((d) => d.path === 'docs/reference/oauthclient.md')?.content ?? '';
    expect(page).toContain(
      '- `spec.tokenEndpointAuthMethod` (string, optional, default `client_secret_basic`): How the client authenticates at the token endpoint (RFC 7591 §2).',
    );
    expect(page).toContain(
      'One of: `client_secret_basic`, `client_secret_post`, `private_key_jwt`, `client_secret_jwt`, `none`.',
    );
    expect(page).toContain(
      '- `spec.grants[].resourceServer.name` (string, required): Name of the ResourceServer.',
    );
    expect(page).toContain(
      "| `spec.tokenEndpointAuthMethod` | `!('client_credentials' in self.grantTypes) \\|\\| ",
    );
  });

  it('says "Accepted, not used yet" of every field nothing reads yet', () => {
    const page = (kind: string) => docs.find((d) => d.path === `docs/reference/${kind}.md`)?.content ?? '';
    const marked = (kind: string) =>
      [...page(kind).matchAll(/^- `(spec\.[^`]+)` \([^)]*\): Accepted, not used yet \(/gm)].map((m) => m[1]);
    // People sign-in (issue 12) reads the OAuthClient's and the Connection's, the consent page the
    // ResourceServer's, and the organization page (issue 13) the Organization's.
    expect(marked('oauthclient')).toEqual([]);
    expect(marked('connection')).toEqual([]);
    expect(marked('organization')).toEqual([]);
    expect(marked('resourceserver')).toEqual([]);
    expect(docs.find((d) => d.path === 'docs/reference/README.md')?.content).toContain(
      'A field whose description begins with "Accepted, not used yet" is checked and stored',
    );
  });

  it('names, of the values it accepts, the grant types and authentication methods not used yet', () => {
    const line = (field: string) =>
      (docs.find((d) => d.path === 'docs/reference/oauthclient.md')?.content ?? '')
        .split('\n')
        .find((l) => l.startsWith(`- \`spec.${field}\``)) ?? '';
    const unsupported = (table: Record<string, { supported: boolean }>) =>
      Object.entries(table).flatMap(([name, c]) => (c.supported ? [] : [name]));
    // The sentence that says what is accepted but not used names exactly the grant types not supported; with
    // every one supported (the device grant since issue 13) there is no such sentence.
    const grantTypes = line('grantTypes').split('. Each one of:')[0] ?? '';
    expect(grantTypes).toContain('`urn:ietf:params:oauth:grant-type:device_code` (RFC 8628)');
    const notUsed = grantTypes.split('. ').find((s) => s.includes('not used yet')) ?? '';
    expect(notUsed === '').toBe(unsupported(GRANT_CAPABILITIES).length === 0);
    for (const name of unsupported(GRANT_CAPABILITIES)) expect(notUsed).toContain(`\`${name}\``);
    const authMethod = line('tokenEndpointAuthMethod');
    for (const name of unsupported(AUTH_METHOD_CAPABILITIES)) {
      expect(authMethod).toContain(
        `\`${name}\` (a public client, for people sign-in) is accepted, not used yet`,
      );
    }
  });

  it('explains every reason, with what it means from its TSDoc and what to do', () => {
    const guide = docs.find((d) => d.path === 'docs/troubleshooting.md')?.content ?? '';
    for (const name of Object.keys(Reason)) {
      expect(guide).toMatch(
        new RegExp(`^### ${name}\\n\\n.+\\n\\n\\*\\*Seen on:\\*\\* .+\\n\\n\\*\\*What to do:\\*\\* .+`, 'm'),
      );
    }
    expect(guide).toContain(
      '### SecretTooWeak\n\nA Secret written by someone else holds a secret too short to resist guessing.\n',
    );
  });
});

describe('the troubleshooting generator', () => {
  it('reads each reason and its TSDoc from src/store/reasons.ts, in declaration order', async () => {
    const members = documentedMembers(await readFile(REASONS, 'utf8'), 'Reason');
    expect(members.map((m) => m.name)).toEqual(Object.keys(Reason));
    expect(members[0]).toEqual({
      name: 'Reconciled',
      summary: 'Everything the object declares is in effect.',
    });
  });

  it('fails when a reason has no entry saying what to do, so none ships undocumented', async () => {
    const source = (await readFile(REASONS, 'utf8')).replace(
      "  Reconciled: 'Reconciled',",
      "  Reconciled: 'Reconciled',\n  /** Something new went wrong. */\n  SomethingNew: 'SomethingNew',",
    );
    expect(() => renderTroubleshooting(source)).toThrow(DocsSourceError);
    expect(() => renderTroubleshooting(source)).toThrow(
      'Reason.SomethingNew has no @remarks and no entry in REASON_GUIDE (scripts/generate-docs.ts) saying what to do',
    );
  });

  it('fails when a reason has no TSDoc saying what it means', async () => {
    const source = (await readFile(REASONS, 'utf8')).replace(
      '  /** Everything the object declares is in effect. */\n',
      '',
    );
    expect(() => renderTroubleshooting(source)).toThrow(
      'Reason.Reconciled has no TSDoc saying what it means',
    );
  });

  it('takes what to do from a reason’s @remarks when its TSDoc has one', async () => {
    const source = (await readFile(REASONS, 'utf8')).replace(
      '  /** Everything the object declares is in effect. */\n',
      '  /**\n   * Everything the object declares is in effect.\n   * @remarks Enjoy it.\n   */\n',
    );
    expect(renderTroubleshooting(source)).toContain(
      '### Reconciled\n\nEverything the object declares is in effect.\n\n**Seen on:** every kind: `Ready=True`; Role, OAuthClient, Organization: `ReferencesResolved=True`.\n\n**What to do:** Enjoy it.\n',
    );
  });

  it('has no guide entry for a reason that does not exist', () => {
    expect(Object.keys(REASON_GUIDE).sort()).toEqual(Object.keys(Reason).sort());
  });
});
