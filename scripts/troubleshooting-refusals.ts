/**
 * The "Refused requests" part of docs/troubleshooting.md: what the log says when a token request is refused
 * with `invalid_client`, `invalid_target`, `invalid_scope` or "audience is required", the likely causes and
 * the fix. Every example line is what Latchkey prints for the request beside it: test/http/refusal-logging.test.ts
 * sends each request to a real server holding {@link EXAMPLE_WORLD} and compares the lines, so the page cannot
 * go stale; scripts/generate-docs.ts writes the page from here.
 */

/** The objects the examples assume, as the page states them. */
export const EXAMPLE_WORLD = [
  'ResourceServer `payments/payments` (identifier `https://payments.internal`, scopes `payments:read`, `payments:write`, `payments:refund`)',
  'ResourceServer `finance/ledger` (`https://ledger.internal`) and `people/hr` (`https://hr.internal`)',
  'OAuthClient `billing/billing-worker` (`client_secret_basic`, granted `payments:read`)',
  'OAuthClient `billing/signer` (`private_key_jwt`)',
  'OAuthClient `finance/reporting` (granted `payments:read` and `ledger:read`)',
  'OAuthClient `billing/orphan` (whose only grant names a ResourceServer that does not exist)',
] as const;

/** A token request of an example: the client and whether its secret is right, and the form parameters. */
export interface ExampleRequest {
  readonly clientId: string;
  /** `right`: the client's secret; `wrong`: another one. */
  readonly secret: 'right' | 'wrong';
  readonly params: Readonly<Record<string, string>>;
}

export interface RefusalExample {
  /** What the request does, as a phrase after "For ". */
  readonly request: string;
  readonly send: ExampleRequest;
  /** The line `latchkey dev` prints, which is also the `msg` of the JSON log line. */
  readonly line: string;
}

export interface RefusalSection {
  /** The heading: the error code, or the words to search for. */
  readonly heading: string;
  /** What the caller gets back. */
  readonly answer: string;
  readonly examples: readonly RefusalExample[];
  readonly causes: readonly string[];
  readonly fix: string;
}

const CC = { grant_type: 'client_credentials' } as const;

export const REFUSAL_SECTIONS: readonly RefusalSection[] = [
  {
    heading: '`invalid_client`',
    answer:
      '401 with `{"error":"invalid_client","error_description":"client authentication failed"}`, the same whatever went wrong, so that the answer never tells which client ids exist or how they authenticate. The log says what happened.',
    examples: [
      {
        request: 'a wrong secret',
        send: { clientId: 'billing-worker.billing', secret: 'wrong', params: CC },
        line: "refused: token for client 'billing-worker.billing' (namespace billing): invalid_client — wrong client_secret for 'billing-worker.billing'",
      },
      {
        request: 'a client id with a typo',
        send: { clientId: 'billing-worker.biling', secret: 'wrong', params: CC },
        line: "refused: token for client 'billing-worker.biling': invalid_client — unknown client 'billing-worker.biling'",
      },
      {
        request: 'a secret from a client registered for `private_key_jwt`',
        send: { clientId: 'signer.billing', secret: 'wrong', params: CC },
        line: "refused: token for client 'signer.billing' (namespace billing): invalid_client — client 'signer.billing' is registered with token_endpoint_auth_method 'private_key_jwt': it sends a client_assertion (RFC 7523), not a client_secret",
      },
    ],
    causes: [
      '`wrong client_secret`: the workload reads an old secret. A rotation keeps the previous secret for `spec.secret.rotation.gracePeriod` (default `10m`); a Secret mounted as a volume is updated in the pod within a minute or so, but one read into an environment variable only on restart. A deleted Secret stops the old secret at once.',
      '`unknown client`: the id is misspelt (the default is `<metadata.name>.<metadata.namespace>`), or the OAuthClient is not in effect: `kubectl get oauthclient -n <ns>` shows its `Ready` reason (`ClientIdConflict`, `ClientIdNotAllowed`, `SecretMissing`, `SecretTooWeak`, …). The client counts as unknown until it is Ready.',
      '`is registered with token_endpoint_auth_method`: the client sends the other kind of credential than `spec.tokenEndpointAuthMethod` says. A client with a shared secret may send it with HTTP Basic or in the body, never both.',
      'Without a client id at all (`client authentication is required`), the request sent no credentials: check the `Authorization` header or `client_id`/`client_secret` in the form body.',
    ],
    fix: 'Read `client_id` and `client_secret` from the generated Secret (`kubectl get secret <name>-oauth -n <ns> -o jsonpath={.data.client_id} | base64 -d`), fix the OAuthClient until it is `Ready`, or match `spec.tokenEndpointAuthMethod` to what the workload sends.',
  },
  {
    heading: '`invalid_target`',
    answer:
      "400 with `audience '…' is unknown or not granted to this client`: the API named by `audience` (or `resource`, RFC 8707) is one this client may not get tokens for.",
    examples: [
      {
        request: 'an API the client is not granted',
        send: {
          clientId: 'billing-worker.billing',
          secret: 'right',
          params: { ...CC, audience: 'https://hr.internal' },
        },
        line: "refused: token for client billing-worker.billing: invalid_target — audience 'https://hr.internal' is ResourceServer people/hr, which is not granted to this client; this client is granted https://payments.internal",
      },
      {
        request: 'an identifier with a trailing slash',
        send: {
          clientId: 'billing-worker.billing',
          secret: 'right',
          params: { ...CC, audience: 'https://payments.internal/' },
        },
        line: "refused: token for client billing-worker.billing: invalid_target — audience 'https://payments.internal/' is the identifier of no ResourceServer in effect (did you mean 'https://payments.internal'?); this client is granted https://payments.internal",
      },
    ],
    causes: [
      "`is ResourceServer …, which is not granted to this client`: the API exists, but neither `spec.grants` nor a Role of the OAuthClient names it, or that grant is not in effect: a grant into another namespace needs the ResourceServer (or Role) to select the client's namespace in `allowedNamespaces`, and the OAuthClient then says `ReferenceNotAllowed`.",
      '`is the identifier of no ResourceServer in effect`: the identifier is compared exactly, so a trailing slash, `http` for `https` or another case is another API; or the ResourceServer is not Ready (`IdentifierConflict`, `InvalidLifetime`).',
      'With `organization`, the APIs granted are those the Organization gives the client (its `spec.clients[].roles`), and the log line says `this client in organization …`.',
    ],
    fix: "Send the ResourceServer's `spec.identifier` exactly, or grant the API to the client (in `spec.grants` or a Role) and check with `kubectl describe oauthclient <name> -n <ns>` that `ReferencesResolved` is `True`.",
  },
  {
    heading: '`invalid_scope`',
    answer:
      "400 with `scope not granted for this API: '…'`: the API is granted, but not every scope asked for.",
    examples: [
      {
        request: 'a scope the API declares but the client is not granted',
        send: {
          clientId: 'billing-worker.billing',
          secret: 'right',
          params: { ...CC, audience: 'https://payments.internal', scope: 'payments:read payments:refund' },
        },
        line: "refused: token for client billing-worker.billing: invalid_scope — scope not granted for https://payments.internal (ResourceServer payments/payments): 'payments:refund' (declared, not granted); this client is granted 'payments:read'",
      },
      {
        request: 'a scope the API does not declare',
        send: {
          clientId: 'billing-worker.billing',
          secret: 'right',
          params: { ...CC, scope: 'payments.read' },
        },
        line: "refused: token for client billing-worker.billing: invalid_scope — scope not granted for https://payments.internal (ResourceServer payments/payments): 'payments.read' (not declared by the API); this client is granted 'payments:read'",
      },
    ],
    causes: [
      '`declared, not granted`: add the scope to the grant in `spec.grants[].scopes`, or give the client a Role that has it.',
      "`not declared by the API`: a misspelt scope (`payments.read` for `payments:read`), or one the ResourceServer's owner has not added to its `spec.scopes` yet.",
      'A scope the OAuthClient grants but the ResourceServer does not declare is never issued; the OAuthClient says `ScopeNotDeclared`.',
    ],
    fix: 'Ask only for the scopes listed after `this client is granted`, or omit `scope` to get all of them.',
  },
  {
    heading: '"audience is required"',
    answer:
      '400 `invalid_request` with `audience is required (or resource)`: the request named no API, and the client is granted several (Latchkey will not guess which) or none.',
    examples: [
      {
        request: 'a client granted several APIs',
        send: { clientId: 'reporting.finance', secret: 'right', params: CC },
        line: 'refused: token for client reporting.finance: invalid_request — audience is required (or resource): this client is granted several APIs, send one of https://payments.internal, https://ledger.internal',
      },
      {
        request: 'a client whose grants are not in effect',
        send: { clientId: 'orphan.billing', secret: 'right', params: CC },
        line: "refused: token for client orphan.billing: invalid_request — audience is required (or resource), but this client is granted no API: a grant or Role that is not in effect grants nothing (the OAuthClient's ReferencesResolved condition says which)",
      },
    ],
    causes: [
      'Several APIs: the client needs `audience=<identifier>` (or `resource=`) in every token request. A client granted a single API may leave it out.',
      'No API: every grant and Role of the OAuthClient is missing or refused (`ReferenceNotFound`, `ReferenceNotAllowed`); `latchkey validate` reports a client granted no API as an error.',
    ],
    fix: "Send `audience` with the identifier of the API the token is for, or fix the references the OAuthClient's `ReferencesResolved` condition names.",
  },
];

/** The JSON line the operator writes for the first `invalid_scope` example, `time` fixed. */
export const JSON_EXAMPLE = {
  time: 1_900_000_000_000,
  send: REFUSAL_SECTIONS[2]!.examples[0]!.send,
  line: '{"level":30,"time":1900000000000,"event":"token.failed","endpoint":"token","error":"invalid_scope","grantType":"client_credentials","clientId":"billing-worker.billing","authenticated":true,"namespace":"billing","detail":"scope not granted for https://payments.internal (ResourceServer payments/payments): \'payments:refund\' (declared, not granted); this client is granted \'payments:read\'","msg":"refused: token for client billing-worker.billing: invalid_scope — scope not granted for https://payments.internal (ResourceServer payments/payments): \'payments:refund\' (declared, not granted); this client is granted \'payments:read\'"}',
} as const;

/** The section of docs/troubleshooting.md, before formatting. */
export function renderRefusedRequests(): string[] {
  const out = [
    '## Refused token requests',
    '',
    'An error body says little on purpose: it never tells a caller which client ids exist, how they authenticate',
    'or which APIs there are. What went wrong is in the log, one line per refused request at the `info` level, for',
    'the token endpoint (event `token.failed`) as for introspection and revocation (`request.failed`):',
    '',
    '- `latchkey dev` prints `refused: <endpoint> for client <id>: <error> — <why>`. A client id in quotes is',
    '  what the request sent, not a client that authenticated.',
    '- The operator writes a JSON line with `event`, `endpoint`, `error`, `grantType`, `clientId`, `authenticated`,',
    '  `namespace` (of the OAuthClient, when the id is one in effect) and `detail` (the why); its `msg` is the line',
    '  `latchkey dev` prints.',
    '',
    '<!-- not run: needs a cluster -->',
    '',
    '```sh',
    'kubectl -n latchkey-system logs deploy/latchkey | jq -r \'select(.event == "token.failed") | .msg\'',
    '```',
    '',
    `For the request of the first \`invalid_scope\` example below, the operator writes:`,
    '',
    '```json',
    JSON_EXAMPLE.line,
    '```',
    '',
    'No line holds a client secret, an assertion, a token or an `Authorization` header. A caller decides how many',
    'requests fail, so the lines are limited: per endpoint, error and client, five at once and then one every 12',
    'seconds; in all, 100 a minute. Client ids that name no client share one limit. The next line written says how',
    'many were left out (`[12 similar refusals not shown]`, `suppressed` in JSON), and',
    '`latchkey_token_failures_total` counts every one. `--log-level debug` writes them all (and every token',
    'issued); `--log-level warn` (chart value `logLevel`) leaves them out.',
    '',
    `The examples assume: ${EXAMPLE_WORLD.join('; ')}.`,
    '',
  ];
  for (const section of REFUSAL_SECTIONS) {
    out.push(`### ${section.heading}`, '', `**The answer:** ${section.answer}`, '', '**The log:**', '');
    for (const example of section.examples) {
      out.push(`For ${example.request}:`, '', '```text', example.line, '```', '');
    }
    out.push(
      '**Likely causes:**',
      '',
      ...section.causes.map((c) => `- ${c}`),
      '',
      `**Fix:** ${section.fix}`,
      '',
    );
  }
  return out;
}
