import { describe, expect, it } from 'vitest';
import { isExcluded } from '../../src/validate/exclude.ts';

describe('isExcluded', () => {
  // Each file by the names it has: as printed, and relative to the folder given on the command line.
  it.each<[string, readonly string[], readonly string[], boolean]>([
    [
      'a pattern without a slash matches a file name at any depth',
      ['gitops/charts/app/values.yaml', 'charts/app/values.yaml'],
      ['values.yaml'],
      true,
    ],
    [
      '…and a folder name at any depth, with everything below it',
      ['gitops/charts/app/templates/a.yaml'],
      ['charts'],
      true,
    ],
    ['…and globs within a name', ['gitops/apps/billing.values.yaml'], ['*.values.yaml'], true],
    [
      'a pattern with a slash matches the path as printed',
      ['gitops/charts/a.yaml', 'charts/a.yaml'],
      ['gitops/charts/*'],
      true,
    ],
    ['…or relative to the folder given', ['gitops/charts/a.yaml', 'charts/a.yaml'], ['charts/**'], true],
    [
      '…whole folders too, with or without a trailing slash',
      ['gitops/charts/x/a.yaml', 'charts/x/a.yaml'],
      ['charts/'],
      true,
    ],
    ['…and ./ in front changes nothing', ['gitops/charts/a.yaml'], ['./gitops/charts'], true],
    [
      'a pattern with a slash is anchored: it does not match deeper down',
      ['gitops/apps/charts/a.yaml', 'apps/charts/a.yaml'],
      ['charts/*'],
      false,
    ],
    [
      'a name that only starts the same does not match',
      ['gitops/values.yaml.bak.yaml'],
      ['values.yaml'],
      false,
    ],
    ['any one of several patterns is enough', ['apps/a.yml'], ['values.yaml', '*.yml'], true],
    ['no pattern, no exclusion', ['values.yaml'], [], false],
  ])('%s', (_, names, globs, expected) => {
    expect(isExcluded(names, globs)).toBe(expected);
  });
});
