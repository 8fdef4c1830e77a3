import { describe, expect, it } from 'vitest';
import { uncheckedIssuerMessages } from '../../src/dev/unchecked-issuer.ts';

describe('uncheckedIssuerMessages', () => {
  it.each<[string, boolean, 'oidc' | 'kubernetes', string]>([
    [
      'names the flag that would check an oidc issuer',
      false,
      'oidc',
      'dev mode contacts no issuer: start it with --check-connections to fetch discovery and keys, so that tokens from this issuer are accepted',
    ],
    [
      'says the check is under way once the flag is on',
      true,
      'oidc',
      'the issuer has not been contacted yet; dev mode fetches discovery and keys (--check-connections)',
    ],
    [
      'says a kubernetes Connection needs a cluster, flag or not',
      false,
      'kubernetes',
      'dev mode cannot check a Connection of type kubernetes: it needs a Kubernetes API server (latchkey operator)',
    ],
    [
      '…also with the flag',
      true,
      'kubernetes',
      'dev mode cannot check a Connection of type kubernetes: it needs a Kubernetes API server (latchkey operator)',
    ],
  ])('%s', (_, checkConnections, type, message) => {
    expect(uncheckedIssuerMessages(checkConnections)[type]).toBe(message);
  });
});
