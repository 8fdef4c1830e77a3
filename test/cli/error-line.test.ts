import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config-error.ts';
import { errorExit } from '../../src/cli/error-line.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('errorExit', () => {
  it.each<[string, unknown, { line: string; code: 1 | 2 }]>([
    [
      'a configuration error as it is, exit 2',
      new ConfigError('--port', 'must be …'),
      { line: 'latchkey: --port: must be …\n', code: 2 },
    ],
    [
      'an error with a code, named by it',
      withCode('the signing keys cannot be read', 'LATCHKEY_KEYS'),
      { line: 'latchkey: LATCHKEY_KEYS: the signing keys cannot be read\n', code: 1 },
    ],
    [
      'a system error whose message already starts with its code, once',
      withCode("ENOENT: no such file or directory, scandir '/tmp/nope'", 'ENOENT'),
      { line: "latchkey: ENOENT: no such file or directory, scandir '/tmp/nope'\n", code: 1 },
    ],
    ['an error without a code', new Error('boom'), { line: 'latchkey: error: boom\n', code: 1 }],
    ['something thrown that is not an error', 'boom', { line: 'latchkey: error: boom\n', code: 1 }],
  ])('%s', (_, err, expected) => {
    expect(errorExit(err)).toEqual(expected);
  });
});
