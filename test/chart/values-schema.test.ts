import { beforeAll, describe, expect, it } from 'vitest';
import { HELM_BUILD_TIMEOUT_MS, helmBinary, renderError } from './helm.ts';

const HEADER =
  "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nlatchkey:\n";

beforeAll(() => helmBinary(), HELM_BUILD_TIMEOUT_MS);

describe('values.schema.json', () => {
  const rejected: [string, Record<string, unknown>, string][] = [
    ['a negative replica count', { replicas: -1 }, "- at '/replicas': minimum: got -1, want 1"],
    ['a fractional replica count', { replicas: 1.5 }, "- at '/replicas': got number, want integer"],
    [
      'an unknown tls.mode',
      { 'tls.mode': 'bogus' },
      "- at '/tls/mode': value must be one of 'none', 'secret', 'certManager'",
    ],
    [
      'an issuer that is not an http(s) URL',
      { issuer: 'not-a-url' },
      "- at '/issuer': 'not-a-url' does not match pattern '^(https?://[^\\\\s/?#]+(/[^\\\\s?#]*)?)?$'",
    ],
    [
      'an issuer with a query (OpenID Connect Discovery forbids it)',
      { issuer: 'https://auth.example.com/?tenant=a' },
      "- at '/issuer': 'https://auth.example.com/?tenant=a' does not match pattern '^(https?://[^\\\\s/?#]+(/[^\\\\s?#]*)?)?$'",
    ],
    [
      'watchNamespaces given as a string',
      { watchNamespaces: 'payments' },
      "- at '/watchNamespaces': got string, want array",
    ],
    [
      'a watched namespace that is not a namespace name',
      { watchNamespaces: ['payments', 'Billing_Team'] },
      "- at '/watchNamespaces/1': 'Billing_Team' does not match pattern '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'",
    ],
    [
      'a namespace watched twice',
      { watchNamespaces: ['payments', 'payments'] },
      "- at '/watchNamespaces': items at 0 and 1 are equal",
    ],
    ['a concurrency of 0', { concurrency: 0 }, "- at '/concurrency': minimum: got 0, want 1"],
    ['a concurrency above 64', { concurrency: 65 }, "- at '/concurrency': maximum: got 65, want 64"],
    ['a misspelt top-level key', { replikas: 3 }, "- at '': additional properties 'replikas' not allowed"],
    [
      'a misspelt nested key',
      { 'tls.secretname': 'x' },
      "- at '/tls': additional properties 'secretname' not allowed",
    ],
    [
      'tls.mode=secret without a Secret',
      { 'tls.mode': 'secret' },
      "- at '': 'allOf' failed\n  - at '/tls/secretName': minLength: got 0, want 1",
    ],
    [
      'tls.mode=certManager without an issuer',
      { 'tls.mode': 'certManager' },
      "- at '': 'allOf' failed\n  - at '/tls/certManager/issuerRef/name': minLength: got 0, want 1",
    ],
    [
      'an Ingress without an external issuer',
      { 'ingress.enabled': true },
      "- at '': 'allOf' failed\n  - at '/issuer': minLength: got 0, want 1",
    ],
    [
      'a port out of range',
      { 'service.port': 70000 },
      "- at '/service/port': maximum: got 70,000, want 65,535",
    ],
    [
      'a duration without a unit',
      { 'leaderElection.leaseDuration': '15' },
      "- at '/leaderElection/leaseDuration': '15' does not match pattern '^([0-9]+(\\\\.[0-9]+)?(ms|s|m|h))+$'",
    ],
    [
      'a log level the operator does not know',
      { logLevel: 'verbose' },
      "- at '/logLevel': value must be one of 'debug', 'info', 'warn', 'error'",
    ],
    [
      'a signing key rotation interval in days',
      { 'signingKeys.rotationInterval': '30d' },
      "- at '/signingKeys/rotationInterval': '30d' does not match pattern '^([0-9]+(\\\\.[0-9]+)?(ms|s|m|h))+$'",
    ],
  ];

  for (const [what, set, message] of rejected) {
    it(`rejects ${what}`, async () => {
      // helm ends the report with an empty line.
      expect(await renderError({ set })).toBe(`${HEADER}${message}\n\n`);
    });
  }
});

describe('refusals that span several values (the templates)', () => {
  it('refuses an http issuer when the token port serves HTTPS', async () => {
    expect(
      await renderError({
        set: { 'tls.mode': 'secret', 'tls.secretName': 'tls', issuer: 'http://auth.example.com' },
      }),
    ).toBe(
      'Error: execution error at (latchkey/templates/deployment.yaml:6:4): issuer: http://auth.example.com is an ' +
        'http URL, but with tls.mode=secret the token port speaks only HTTPS: use https://auth.example.com\n\n' +
        'Use --debug flag to render out invalid YAML\n',
    );
  });
});
