/**
 * `latchkey login --organization` (issue 13): the real CLI signs a person in to one organization with the device
 * flow, keeps those tokens apart from the sign-in without it, and `latchkey token --organization` prints them.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startPeopleHarness, type PeopleHarness } from '../people/harness.ts';
import { ACME, confirmDevice, DEVICE_CLI, serveOrganizationsWorld } from '../people/organizations-world.ts';
import { latchkey } from '../support/latchkey-cli.ts';

let h: PeopleHarness;
let cacheDir: string;

beforeAll(async () => {
  h = await startPeopleHarness({ now: 'real' });
  serveOrganizationsWorld(h);
  cacheDir = await mkdtemp(join(tmpdir(), 'latchkey-login-org-'));
});

afterAll(async () => {
  await h?.close();
  await rm(cacheDir, { recursive: true, force: true });
});

const target = () => ['--issuer', h.issuer, '--client-id', DEVICE_CLI, '--cache-dir', cacheDir];

it('signs alice in to acme, and keeps that sign-in apart from one without an organization', async () => {
  const run = latchkey(cacheDir, [
    'login',
    ...target(),
    '--organization',
    'acme',
    '--scope',
    'openid payments:read',
  ]);
  const [, , code] = await run.stderrMatching(/open (\S+)\nand check that it shows the code (\S+)\./);
  await confirmDevice(h, code as string, 'alice');
  expect(await run.exited).toBe(0);

  const token = latchkey(cacheDir, ['token', ...target(), '--organization', 'acme']);
  expect(await token.exited).toBe(0);
  expect(decodeJwt(token.stdout.trim())).toMatchObject({
    org_id: ACME,
    org_name: 'acme',
    aud: 'https://payments.internal',
  });

  const none = latchkey(cacheDir, ['token', ...target()]);
  expect(await none.exited).toBe(1);
  expect(none.stderr).toContain('latchkey login');
});

it('ends with the reason when the person is not a member', async () => {
  const run = latchkey(cacheDir, ['login', ...target(), '--organization', 'acme']);
  const [, , code] = await run.stderrMatching(/open (\S+)\nand check that it shows the code (\S+)\./);
  await confirmDevice(h, code as string, 'bob');
  expect(await run.exited).toBe(1);
  expect(run.stderr).toContain('denied');
});
