import { describe, expect, it } from 'vitest';
import { parseBenchArgs, positive, RUN_FLAGS, runSettings } from '../../../bench/lib/cli.ts';

describe('the flags every bench shares', () => {
  it('saves a full run', () => {
    expect(parseBenchArgs([], RUN_FLAGS)).toMatchObject({ quick: false, save: true });
  });

  it('never saves a quick run, whose numbers are too rough to commit', () => {
    expect(parseBenchArgs(['--quick'], RUN_FLAGS)).toMatchObject({ quick: true, save: false });
  });

  it('does not save with --no-save', () => {
    expect(parseBenchArgs(['--no-save'], RUN_FLAGS)).toMatchObject({ quick: false, save: false });
  });

  it('answers undefined to --help and -h, so the bench prints its usage', () => {
    expect(parseBenchArgs(['--help'], RUN_FLAGS)).toBeUndefined();
    expect(parseBenchArgs(['-h', '--quick'], RUN_FLAGS)).toBeUndefined();
  });

  it("passes a bench's own flags through", () => {
    const args = parseBenchArgs(['--n', '200', '--profile'], {
      n: { type: 'string' },
      profile: { type: 'boolean', default: false },
    });
    expect(args?.values.n).toBe('200');
    expect(args?.values.profile).toBe(true);
  });

  it('refuses unknown flags and positional arguments', () => {
    expect(() => parseBenchArgs(['--fast'], RUN_FLAGS)).toThrow();
    expect(() => parseBenchArgs(['quick'], RUN_FLAGS)).toThrow();
  });
});

describe('a number flag', () => {
  it('takes the fallback when absent', () => {
    expect(positive('warmup', undefined, 2)).toBe(2);
  });

  it('takes fractions', () => {
    expect(positive('warmup', '1.5', 2)).toBe(1.5);
  });

  it.each(['0', '-1', '', 'NaN', 'Infinity', 'two', '__proto__', '1e400'])('refuses %j', (text) => {
    expect(() => positive('warmup', text, 2)).toThrow(`--warmup must be a positive number, got ${text}`);
  });

  it('takes zero only where allowed', () => {
    expect(positive('idle-clients', '0', 1000, true)).toBe(0);
    expect(() => positive('idle-clients', '-1', 1000, true)).toThrow('--idle-clients');
  });
});

describe('the run settings of the token benches', () => {
  it('are 32 connections, 2 s warm-up and 4 s measured, with the rounds the bench chooses', () => {
    expect(runSettings({}, false, 4)).toEqual({
      connections: 32,
      warmupSeconds: 2,
      measureSeconds: 4,
      rounds: 4,
    });
  });

  it('are 1 s warm-up, 2 s measured and one round for --quick', () => {
    expect(runSettings({}, true, 3)).toEqual({
      connections: 32,
      warmupSeconds: 1,
      measureSeconds: 2,
      rounds: 1,
    });
  });

  it('take a flag before its environment variable, and the variable before the default', () => {
    const settings = runSettings({ connections: '8' }, false, 4, { connections: '64', rounds: '2' });
    expect(settings.connections).toBe(8);
    expect(settings.rounds).toBe(2);
  });

  it('round connections and rounds to whole numbers', () => {
    expect(runSettings({ connections: '7.6', rounds: '1.2' }, false, 4)).toMatchObject({
      connections: 8,
      rounds: 1,
    });
  });

  it('name the flag of a bad value, also one from the environment', () => {
    expect(() => runSettings({}, false, 4, { duration: '0' })).toThrow(
      '--duration must be a positive number',
    );
  });
});
