import { describe, expect, it } from 'vitest';
import { couldSelect } from '../../src/validate/selector-reach.ts';

describe('couldSelect: may a namespace whose labels are unknown be selected?', () => {
  const cases: [string, Parameters<typeof couldSelect>[0], boolean][] = [
    ['no allowedNamespaces: only the own namespace', undefined, false],
    ['{} selects every namespace', {}, true],
    ['matchLabels on any label: the namespace may carry it', { matchLabels: { team: 'billing' } }, true],
    ['matchLabels on its name', { matchLabels: { 'kubernetes.io/metadata.name': 'reporting' } }, true],
    ['matchLabels on another name', { matchLabels: { 'kubernetes.io/metadata.name': 'billing' } }, false],
    ['In with a value', { matchExpressions: [{ key: 'team', operator: 'In', values: ['a', 'b'] }] }, true],
    ['In with no value', { matchExpressions: [{ key: 'team', operator: 'In', values: [] }] }, false],
    [
      'In and NotIn that leave no value',
      {
        matchExpressions: [
          { key: 'team', operator: 'In', values: ['a'] },
          { key: 'team', operator: 'NotIn', values: ['a'] },
        ],
      },
      false,
    ],
    [
      'two In lists that share a value',
      {
        matchExpressions: [
          { key: 'team', operator: 'In', values: ['a', 'b'] },
          { key: 'team', operator: 'In', values: ['b', 'c'] },
        ],
      },
      true,
    ],
    [
      'Exists and DoesNotExist on one key',
      {
        matchExpressions: [
          { key: 'team', operator: 'Exists' },
          { key: 'team', operator: 'DoesNotExist' },
        ],
      },
      false,
    ],
    [
      'Exists beside NotIn of the obvious value',
      {
        matchExpressions: [
          { key: 'team', operator: 'Exists' },
          { key: 'team', operator: 'NotIn', values: ['any', 'any-'] },
        ],
      },
      true,
    ],
    [
      'NotIn its own name',
      {
        matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['reporting'] }],
      },
      false,
    ],
    [
      'DoesNotExist on any label',
      { matchExpressions: [{ key: 'restricted', operator: 'DoesNotExist' }] },
      true,
    ],
  ];
  for (const [name, selector, expected] of cases) {
    it(`${name}: ${expected}`, () => {
      expect(couldSelect(selector, 'reporting')).toBe(expected);
    });
  }
});
