import { describe, expect, it } from 'vitest';
import { parseValidateArgs } from '../../src/validate/args.ts';

describe('parseValidateArgs', () => {
  it('takes files and folders, and text output unless told otherwise', () => {
    expect(parseValidateArgs(['examples', 'more/app.yaml'])).toEqual({
      paths: ['examples', 'more/app.yaml'],
      output: 'text',
    });
    expect(parseValidateArgs(['--output', 'json', 'a'])).toEqual({ paths: ['a'], output: 'json' });
    expect(parseValidateArgs(['a', '--output=json'])).toEqual({ paths: ['a'], output: 'json' });
    expect(parseValidateArgs(['-o', 'text', 'a'])).toEqual({ paths: ['a'], output: 'text' });
  });

  it('refuses what a CI step must not get wrong silently', () => {
    expect(() => parseValidateArgs([])).toThrow(/^arguments: name the files or folders to check/);
    expect(() => parseValidateArgs(['--output', 'sarif', 'a'])).toThrow(
      '--output: must be text or json, got "sarif"',
    );
    expect(() => parseValidateArgs(['--strict', 'a'])).toThrow(/^options: Unknown option '--strict'/);
  });
});
