import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { manifestFiles } from '../../src/manifests/index.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const BROKEN = 'test/validate/fixtures/broken';

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `latchkey validate …` as a CI step runs it, from the repository root, with `stdin` piped in. */
function latchkeyWith(stdin: string, ...args: string[]): Promise<Exit> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [join(ROOT, 'src/cli/main.ts'), ...args],
      { cwd: ROOT },
      (error, stdout, stderr) =>
        done({ code: error ? (typeof error.code === 'number' ? error.code : null) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin);
  });
}

const latchkey = (...args: string[]): Promise<Exit> => latchkeyWith('', ...args);

describe('latchkey validate (the CLI as a process)', () => {
  it('passes the bundled examples/ with exit code 0, warning only of the dev-only test Connection', async () => {
    const files = (await manifestFiles(join(ROOT, 'examples'))).length;
    expect(await latchkey('validate', 'examples')).toEqual({
      code: 0,
      stdout:
        'examples/people-sign-in/test-people.yaml:11: warning: Connection/notes/test-people: spec.type: type test is for latchkey dev only: declare an oidc, github or google Connection in a cluster (the passwords of spec.testUsers are in plain text in the manifests); the operator refuses it (TestConnectionNotAllowed)\n' +
        `1 warning in ${files} files\n`,
      stderr: '',
    });
  });

  it('fails a broken folder with exit code 1, one line per problem', async () => {
    expect(await latchkey('validate', BROKEN)).toEqual({
      code: 1,
      stdout: [
        `${BROKEN}/teams/billing.yaml:9: OAuthClient/billing/billing-worker: spec.grants[0]: ResourceServer payments/payments-api does not allow references from namespace billing (its spec.allowedNamespaces)`,
        `${BROKEN}/teams/billing.yaml:12: OAuthClient/billing/billing-worker: spec.roles[0]: Role payments/payments-writer not found`,
        `${BROKEN}/teams/reporting.yaml:10: warning: OAuthClient/reporting/reporting-job: spec.grants[0]: ResourceServer payments/payments-api does not allow references from namespace reporting (its spec.allowedNamespaces); the labels of namespace reporting are unknown (no Namespace document among the given files), so the cluster may allow it`,
        `${BROKEN}/teams/reporting.yaml:19: ResourceServer/reporting/payments-api-copy: spec.identifier: identifier https://payments.internal is already used by ResourceServer payments/payments-api (${BROKEN}/payments-api.yaml:1)`,
        `${BROKEN}/teams/reporting.yaml:27: Role/reporting/payments-reader: spec.permissions: missing required field "permissions"`,
        `${BROKEN}/teams/reporting.yaml:28: Role/reporting/payments-reader: spec.permission: unknown field "permission"; did you mean "permissions"? (fields here: description, permissions, subjects, allowedNamespaces)`,
        '5 errors and 1 warning in 4 files',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('prints {problems: [...]} with --output json, for the files named', async () => {
    const { code, stdout, stderr } = await latchkey(
      'validate',
      '--output',
      'json',
      `${BROKEN}/00-namespaces.yaml`,
      `${BROKEN}/payments-api.yaml`,
      `${BROKEN}/teams/reporting.yaml`,
    );
    expect({ code, stderr }).toEqual({ code: 1, stderr: '' });
    expect(JSON.parse(stdout)).toEqual({
      problems: [
        {
          file: `${BROKEN}/teams/reporting.yaml`,
          line: 10,
          object: 'OAuthClient/reporting/reporting-job',
          field: 'spec.grants[0]',
          message:
            'ResourceServer payments/payments-api does not allow references from namespace reporting (its spec.allowedNamespaces); the labels of namespace reporting are unknown (no Namespace document among the given files), so the cluster may allow it',
          severity: 'warning',
        },
        {
          file: `${BROKEN}/teams/reporting.yaml`,
          line: 19,
          object: 'ResourceServer/reporting/payments-api-copy',
          field: 'spec.identifier',
          message: `identifier https://payments.internal is already used by ResourceServer payments/payments-api (${BROKEN}/payments-api.yaml:1)`,
          severity: 'error',
        },
        {
          file: `${BROKEN}/teams/reporting.yaml`,
          line: 27,
          object: 'Role/reporting/payments-reader',
          field: 'spec.permissions',
          message: 'missing required field "permissions"',
          severity: 'error',
        },
        {
          file: `${BROKEN}/teams/reporting.yaml`,
          line: 28,
          object: 'Role/reporting/payments-reader',
          field: 'spec.permission',
          message:
            'unknown field "permission"; did you mean "permissions"? (fields here: description, permissions, subjects, allowedNamespaces)',
          severity: 'error',
        },
      ],
      skipped: [],
    });
  });

  it('exits 0 when there are only warnings', async () => {
    expect(
      await latchkey(
        'validate',
        '-o',
        'json',
        `${BROKEN}/payments-api.yaml`,
        'test/validate/fixtures/warning-only',
      ),
    ).toMatchObject({ code: 0, stderr: '' });
    expect(
      await latchkey('validate', `${BROKEN}/payments-api.yaml`, 'test/validate/fixtures/warning-only'),
    ).toEqual({
      code: 0,
      stdout:
        'test/validate/fixtures/warning-only/reporting.yaml:9: warning: OAuthClient/reporting/reporting-job: spec.grants[0]: ResourceServer payments/payments-api does not allow references from namespace reporting (its spec.allowedNamespaces); the labels of namespace reporting are unknown (no Namespace document among the given files), so the cluster may allow it\n1 warning in 2 files\n',
      stderr: '',
    });
  });

  it('reads manifests from standard input for -, named <stdin>', async () => {
    const role = await readFile(join(ROOT, BROKEN, 'teams/reporting.yaml'), 'utf8');
    const { code, stdout } = await latchkeyWith(role, 'validate', `${BROKEN}/payments-api.yaml`, '-');
    expect(code).toBe(1);
    expect(stdout).toContain(
      '<stdin>:28: Role/reporting/payments-reader: spec.permission: unknown field "permission"; did you mean',
    );
    expect(stdout.split('\n').at(-2)).toMatch(/ in 2 files$/);
  });

  it('skips a Helm values.yaml with a note, and leaves out what --exclude names', async () => {
    const chart = 'test/validate/fixtures/with-chart';
    expect(await latchkey('validate', chart)).toEqual({
      code: 0,
      stdout: [
        `${chart}/chart/Chart.yaml: skipped: not a Kubernetes manifest: no document has kind or metadata at the top level (a Helm values.yaml, a Chart.yaml, another tool's configuration)`,
        `${chart}/chart/values.yaml: skipped: not a Kubernetes manifest: no document has kind or metadata at the top level (a Helm values.yaml, a Chart.yaml, another tool's configuration)`,
        'no problems in 1 file, 2 skipped',
        '',
      ].join('\n'),
      stderr: '',
    });
    expect(await latchkey('validate', '--exclude', 'chart', chart)).toEqual({
      code: 0,
      stdout: 'no problems in 1 file\n',
      stderr: '',
    });
  });

  it('exits 2 on a usage error and says what is wrong', async () => {
    expect(await latchkey('validate', 'no/such/folder')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'latchkey: no/such/folder: no such file or folder\n',
    });
    expect(await latchkey('validate', '--output', 'yaml', 'examples')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'latchkey: --output: must be text or json, got "yaml"\n',
    });
    expect(await latchkey('validate', '--exlcude', 'x', 'examples')).toEqual({
      code: 2,
      stdout: '',
      stderr:
        "latchkey: unknown option --exlcude for latchkey validate; did you mean --exclude? (run 'latchkey validate --help' for its options)\n",
    });
    expect(await latchkey('validate', '--exclude', '*', 'examples')).toEqual({
      code: 2,
      stdout: '',
      stderr: 'latchkey: examples: every .yaml or .yml file in this folder is left out by --exclude\n',
    });
  });
});
