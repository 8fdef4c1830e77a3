import { describe, expect, it } from 'vitest';
import { parseDevArgs } from '../../src/dev/config.ts';
import { parseOperatorArgs } from '../../src/operator/config.ts';
import { DEFAULT_USER_CODE_LIMITS } from '../../src/people/device/user-code-throttle.ts';
import { signInLimitsOption, userCodeLimitsOption } from '../../src/people/throttle-options.ts';
import { DEFAULT_SIGN_IN_LIMITS } from '../../src/people/throttle.ts';

describe('failed sign-in limits from the command line', () => {
  it('default to 5 per person and 20 per address in 15 minutes', () => {
    expect(signInLimitsOption({})).toEqual(DEFAULT_SIGN_IN_LIMITS);
    expect(DEFAULT_SIGN_IN_LIMITS).toEqual({
      perPerson: { failures: 5, windowSeconds: 900 },
      perAddress: { failures: 20, windowSeconds: 900 },
    });
  });

  it('are read from the same options by the operator and dev mode', () => {
    const argv = [
      ...['--sign-in-failures-per-person', '3', '--sign-in-failures-per-address', '100'],
      ...['--sign-in-failure-window', '1h'],
    ];
    const expected = {
      perPerson: { failures: 3, windowSeconds: 3600 },
      perAddress: { failures: 100, windowSeconds: 3600 },
    };
    expect(parseOperatorArgs(['--issuer', 'http://x', ...argv], undefined).signInLimits).toEqual(expected);
    expect(parseDevArgs(argv, '/w').signInLimits).toEqual(expected);
  });

  it.each([
    [{ 'sign-in-failure-window': '90s' }, { failures: 5, windowSeconds: 90 }],
    [{ 'sign-in-failure-window': '1500ms' }, { failures: 5, windowSeconds: 2 }],
    [{ 'sign-in-failures-per-person': '20' }, { failures: 20, windowSeconds: 900 }],
    [{ 'sign-in-failures-per-address': '3' }, { failures: 3, windowSeconds: 900 }],
  ])('read %j as a person limit of %j', (values, perPerson) => {
    expect(signInLimitsOption(values).perPerson).toEqual(perPerson);
  });

  it.each([
    [
      { 'sign-in-failures-per-person': '0' },
      '--sign-in-failures-per-person: must be an integer from 1 to 100000, got "0"',
    ],
    [
      { 'sign-in-failures-per-address': 'many' },
      '--sign-in-failures-per-address: must be an integer from 1 to 100000, got "many"',
    ],
    [
      { 'sign-in-failure-window': '500ms' },
      '--sign-in-failure-window: must be a duration from 1s to 24h, got "500ms"',
    ],
    [
      { 'sign-in-failure-window': '2d' },
      '--sign-in-failure-window: must be a duration from 1s to 24h, got "2d"',
    ],
    [
      { 'sign-in-failures-per-person': '21' },
      '--sign-in-failures-per-person: must not be above --sign-in-failures-per-address (20): each failure counts for both',
    ],
  ])('refuse %j naming the option', (values, message) => {
    expect(() => signInLimitsOption(values)).toThrow(message);
  });
});

describe('wrong device code limits from the command line', () => {
  it('default to 5 per browser and 20 per address in the sign-in window', () => {
    expect(userCodeLimitsOption({})).toEqual(DEFAULT_USER_CODE_LIMITS);
    expect(DEFAULT_USER_CODE_LIMITS).toEqual({
      perBrowser: { failures: 5, windowSeconds: 900 },
      perAddress: { failures: 20, windowSeconds: 900 },
    });
  });

  it('are read from the same options by the operator and dev mode, in the sign-in window', () => {
    const argv = [
      ...['--device-code-failures-per-browser', '2', '--device-code-failures-per-address', '50'],
      ...['--sign-in-failure-window', '10m'],
    ];
    const expected = {
      perBrowser: { failures: 2, windowSeconds: 600 },
      perAddress: { failures: 50, windowSeconds: 600 },
    };
    expect(parseOperatorArgs(['--issuer', 'http://x', ...argv], undefined).userCodeLimits).toEqual(expected);
    expect(parseDevArgs(argv, '/w').userCodeLimits).toEqual(expected);
  });

  it.each([
    [{ 'device-code-failures-per-address': '3' }, { failures: 3, windowSeconds: 900 }],
    [{ 'device-code-failures-per-browser': '20' }, { failures: 20, windowSeconds: 900 }],
  ])('read %j as a browser limit of %j', (values, perBrowser) => {
    expect(userCodeLimitsOption(values).perBrowser).toEqual(perBrowser);
  });

  it.each([
    [
      { 'device-code-failures-per-browser': '0' },
      '--device-code-failures-per-browser: must be an integer from 1 to 100000, got "0"',
    ],
    [
      { 'device-code-failures-per-browser': '21' },
      '--device-code-failures-per-browser: must not be above --device-code-failures-per-address (20): each failure counts for both',
    ],
  ])('refuse %j naming the option', (values, message) => {
    expect(() => userCodeLimitsOption(values)).toThrow(message);
  });
});
