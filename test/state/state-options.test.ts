import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseOperatorArgs } from '../../src/operator/config.ts';
import { openRuntimeState, stateOption, STATE_URL_ENV } from '../../src/state/state-options.ts';

const URL_ = 'postgres://latchkey:pw@db.example:5432/latchkey?sslmode=verify-full';

describe('--state', () => {
  it.each([
    [{}, {}, { backend: 'embedded', path: ':memory:' }],
    [
      { 'state-path': '/var/lib/latchkey/state.sqlite' },
      {},
      { backend: 'embedded', path: '/var/lib/latchkey/state.sqlite' },
    ],
    [{ state: 'memory', 'replay-capacity': '5000' }, {}, { backend: 'memory' }],
    [
      { state: 'postgres' },
      { [STATE_URL_ENV]: URL_ },
      { backend: 'postgres', url: { env: STATE_URL_ENV, value: URL_ } },
    ],
    [
      { state: 'postgres', 'state-url-file': '/etc/db/url' },
      { [STATE_URL_ENV]: URL_ },
      { backend: 'postgres', url: { file: '/etc/db/url' } },
    ],
  ])('%j with %j reads as %j', (values, env, expected) => {
    expect(stateOption(values, env)).toEqual(expected);
  });

  it.each([
    [{ state: 'redis' }, {}, '--state: must be one of embedded, postgres, memory, got "redis"'],
    [{ state: 'postgres' }, {}, `--state postgres: needs the PostgreSQL URL in ${STATE_URL_ENV}`],
    [
      { state: 'postgres', 'state-path': '/x' },
      { [STATE_URL_ENV]: URL_ },
      '--state-path: applies to --state embedded only',
    ],
    [
      { 'state-url-file': '/x' },
      {},
      '--state-url-file: applies to --state postgres only, not --state embedded',
    ],
    [{ 'replay-capacity': '5000' }, {}, '--replay-capacity: applies to --state memory only'],
    [{ state: 'postgres', 'state-url-file': '' }, {}, '--state-url-file: is empty'],
  ])('refuses %j with %j', (values, env, message) => {
    expect(() => stateOption(values, env)).toThrow(message);
  });

  it('is part of the operator options, with the URL from the environment and never from argv', () => {
    const issuer = ['--issuer', 'http://latchkey.latchkey-system.svc:8080'];
    expect(parseOperatorArgs(issuer, undefined).state).toEqual({ backend: 'embedded', path: ':memory:' });
    expect(
      parseOperatorArgs([...issuer, '--state', 'postgres'], undefined, { [STATE_URL_ENV]: URL_ }).state,
    ).toEqual({
      backend: 'postgres',
      url: { env: STATE_URL_ENV, value: URL_ },
    });
    expect(() => parseOperatorArgs([...issuer, '--state-url', URL_], undefined)).toThrow(
      /^unknown option --state-url for latchkey operator/,
    );
  });

  it('opens an embedded file, and names the URL file it cannot read or parse without repeating it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'latchkey-state-options-'));
    try {
      const state = await openRuntimeState({ backend: 'embedded', path: join(dir, 'state.sqlite') }, () => 0);
      expect(state?.backend).toBe('embedded');
      await state?.close();
      expect(await openRuntimeState({ backend: 'memory' }, () => 0)).toBeUndefined();
      const missing = join(dir, 'missing');
      await expect(
        openRuntimeState({ backend: 'postgres', url: { file: missing } }, () => 0),
      ).rejects.toThrow(`--state-url-file ${missing}: cannot be read (ENOENT)`);
      const bad = join(dir, 'url');
      await writeFile(bad, 'mysql://root:hunter2@db/x\n');
      const error = await openRuntimeState({ backend: 'postgres', url: { file: bad } }, () => 0).catch(
        (e: Error) => e,
      );
      expect(String(error)).toContain(`--state-url-file ${bad}: must start with postgres://`);
      expect(String(error)).not.toContain('hunter2');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
