import { describe, expect, it } from 'vitest';
import { parseValidateArgs } from '../../src/validate/args.ts';

describe('parseValidateArgs', () => {
  it('takes files and folders, and text output unless told otherwise', () => {
    expect(parseValidateArgs(['examples', 'more/app.yaml'])).toEqual({
      paths: ['examples', 'more/app.yaml'],
      output: 'text',
      exclude: [],
    });
    expect(parseValidateArgs(['--output', 'json', 'a'])).toMatchObject({ paths: ['a'], output: 'json' });
    expect(parseValidateArgs(['a', '--output=json'])).toMatchObject({ paths: ['a'], output: 'json' });
    expect(parseValidateArgs(['-o', 'text', 'a'])).toMatchObject({ paths: ['a'], output: 'text' });
  });

  it('takes - for standard input, and --exclude as often as needed', () => {
    expect(parseValidateArgs(['-', 'examples'])).toMatchObject({ paths: ['-', 'examples'] });
    expect(
      parseValidateArgs(['gitops', '--exclude', 'values.yaml', '--exclude=charts/**', '-o', 'json']),
    ).toEqual({ paths: ['gitops'], output: 'json', exclude: ['values.yaml', 'charts/**'] });
  });

  it('refuses what a CI step must not get wrong silently', () => {
    expect(() => parseValidateArgs([])).toThrow(/^arguments: name the files or folders to check/);
    expect(() => parseValidateArgs(['--output', 'sarif', 'a'])).toThrow(
      '--output: must be text or json, got "sarif"',
    );
    expect(() => parseValidateArgs(['--strict', 'a'])).toThrow(
      "unknown option --strict for latchkey validate; run 'latchkey validate --help' for its options",
    );
    expect(() => parseValidateArgs(['--exlude', 'charts', 'a'])).toThrow(
      "unknown option --exlude for latchkey validate; did you mean --exclude? (run 'latchkey validate --help' for its options)",
    );
  });
});
