import { describe, expect, it } from 'vitest';
import { closestName, editDistance } from '../../src/closest-name.ts';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['abc', '', 3],
    ['', 'abc', 3],
    ['port', 'port', 0],
    ['prot', 'port', 1],
    ['ops-prot', 'ops-port', 1],
    ['manifest', 'manifests', 1],
    ['kitten', 'sitting', 3],
    ['ClientSecret', 'clientSecret', 1],
  ])('from %j to %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
  });
});

describe('closestName', () => {
  const flags = ['manifests', 'state-dir', 'port', 'ops-port', 'host', 'issuer', 'log-format', 'no-watch'];

  it.each<[string, readonly string[], string | undefined]>([
    ['manifest', flags, 'manifests'],
    ['ops-prot', flags, 'ops-port'],
    ['prot', flags, 'port'],
    ['logformat', flags, 'log-format'],
    ['Port', flags, 'port'],
    // Nothing near: no guess is better than a wrong one.
    ['verbose', flags, undefined],
    ['x', flags, undefined],
    ['', flags, undefined],
    ['port', [], undefined],
    // A tie goes to the candidate listed first.
    ['hort', ['host', 'port'], 'host'],
    ['__proto__', ['name', 'namespace', 'labels'], undefined],
    // Another word that shares most letters is not a slip.
    ['payments-reader', ['payments-writer'], undefined],
    ['client_secret', ['clientId', 'clientSecret', 'issuer', 'tokenEndpoint'], 'clientSecret'],
    ['permission', ['description', 'permissions', 'allowedNamespaces'], 'permissions'],
  ])('for %j is %j', (given, candidates, expected) => {
    expect(closestName(given, candidates)).toBe(expected);
  });
});
