import { describe, expect, it } from 'vitest';
import { oauthClientSpec } from '../../src/api/oauth-client.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import {
  decideSecret,
  secretStep,
  secretWakeAt,
  type SecretDecisionInput,
} from '../../src/operator/client-secret-rotation.ts';
import type { DeclaredOAuthClient } from '../../src/store/objects.ts';

const client = (spec: unknown = {}): DeclaredOAuthClient => ({
  kind: 'OAuthClient',
  metadata: { namespace: 'billing', name: 'worker' },
  spec: oauthClientSpec.parse(spec),
});
const NOW = Date.parse('2026-01-10T12:00:00Z');
const urls = { issuer: 'https://id.example', tokenEndpoint: 'https://id.example/oauth2/token' };
const b64 = (s: string) => Buffer.from(s).toString('base64');
const input = (over: Partial<SecretDecisionInput> = {}): SecretDecisionInput => ({
  client: client(),
  uid: 'uid-1',
  issuedBefore: false,
  existing: undefined,
  urls,
  newSecret: () => 'new-secret',
  now: NOW,
  holdsClientId: true,
  ...over,
});
const ours = (data: Record<string, string>, uid = 'uid-1'): KubeObject => ({
  metadata: {
    name: 'worker-oauth',
    namespace: 'billing',
    ownerReferences: [
      { apiVersion: 'latchkey.dev/v1alpha1', kind: 'OAuthClient', name: 'worker', uid, controller: true },
    ],
  },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
});
const complete = {
  client_id: 'worker.billing',
  client_secret: 's',
  issuer: urls.issuer,
  token_endpoint: urls.tokenEndpoint,
};

describe('a client that does not hold its client id (issue 9)', () => {
  it.each([
    ['no Secret yet', undefined],
    ['its own Secret, to refresh', ours({ client_secret: 's' })],
  ])('gets no Secret written: %s', (_, existing) => {
    const action = decideSecret(
      input({ client: client({ clientId: 'shared' }), existing, holdsClientId: false }),
    );
    expect(action).toEqual({ kind: 'none' });
  });
});

describe('the Secret of a source: Generate client', () => {
  it('is created with the four keys, Latchkey labels and a controller ownerReference', () => {
    const action = decideSecret(input());
    expect(action).toEqual({
      kind: 'create',
      recreated: false,
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: {
          name: 'worker-oauth',
          namespace: 'billing',
          labels: { 'app.kubernetes.io/managed-by': 'latchkey', 'latchkey.dev/oauthclient': 'worker' },
          ownerReferences: [
            {
              apiVersion: 'latchkey.dev/v1alpha1',
              kind: 'OAuthClient',
              name: 'worker',
              uid: 'uid-1',
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        type: 'Opaque',
        data: {
          client_id: b64('worker.billing'),
          client_secret: b64('new-secret'),
          issuer: b64(urls.issuer),
          token_endpoint: b64(urls.tokenEndpoint),
        },
      },
    });
  });

  it('is recreated, and says so, when it was issued before and is gone', () => {
    expect(decideSecret(input({ issuedBefore: true }))).toMatchObject({ kind: 'create', recreated: true });
  });

  it('uses the configured name and key names', () => {
    const action = decideSecret(
      input({
        client: client({
          secret: {
            name: 'creds',
            keys: { clientId: 'id', clientSecret: 'pw', issuer: 'iss', tokenEndpoint: 'url' },
          },
        }),
      }),
    );
    expect(action.kind === 'create' && action.body.metadata.name).toBe('creds');
    expect(action.kind === 'create' && Object.keys(action.body['data'] as object).sort()).toEqual([
      'id',
      'iss',
      'pw',
      'url',
    ]);
  });

  it('is left alone when complete', () => {
    expect(decideSecret(input({ existing: ours(complete) }))).toEqual({ kind: 'none' });
  });

  it('gets its descriptive keys refreshed without touching the secret', () => {
    expect(decideSecret(input({ existing: ours({ ...complete, issuer: 'http://old' }) }))).toEqual({
      kind: 'update',
      data: { issuer: b64(urls.issuer) },
      secretReplaced: false,
    });
  });

  it('gets a new secret when its secret key was removed', () => {
    const { client_secret: _gone, ...rest } = complete;
    expect(decideSecret(input({ existing: ours(rest) }))).toEqual({
      kind: 'update',
      data: { client_secret: b64('new-secret') },
      annotations: { 'latchkey.dev/secret-rotated-at': '2026-01-10T12:00:00Z' },
      secretReplaced: true,
    });
  });

  it('is never taken over when someone else owns a Secret of that name', () => {
    const foreign: KubeObject = { metadata: { name: 'worker-oauth', namespace: 'billing' }, data: {} };
    expect(decideSecret(input({ existing: foreign }))).toEqual({
      kind: 'conflict',
      message: 'Secret billing/worker-oauth belongs to another owner',
    });
    expect(decideSecret(input({ existing: ours(complete, 'another-uid') }))).toMatchObject({
      kind: 'conflict',
    });
  });

  it.each([
    ['source: Existing', { secret: { source: 'Existing' } }],
    [
      'private_key_jwt with jwksUri',
      { tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'https://worker.example/jwks.json' },
    ],
    [
      'private_key_jwt with inline jwks',
      {
        tokenEndpointAuthMethod: 'private_key_jwt',
        jwks: { keys: [{ kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }] },
      },
    ],
  ])('is never generated for %s', (_what, spec) => {
    expect(decideSecret(input({ client: client(spec) }))).toEqual({ kind: 'none' });
  });

  it('is generated for client_secret_jwt, whose secret is the HMAC key of its assertions', () => {
    const action = decideSecret(input({ client: client({ tokenEndpointAuthMethod: 'client_secret_jwt' }) }));
    expect(action).toMatchObject({
      kind: 'create',
      recreated: false,
      body: {
        metadata: { name: 'worker-oauth', namespace: 'billing' },
        data: {
          client_id: b64('worker.billing'),
          client_secret: b64('new-secret'),
          issuer: b64(urls.issuer),
          token_endpoint: b64(urls.tokenEndpoint),
        },
      },
    });
  });

  it('gets a client_secret_jwt client a new secret when its secret key was removed', () => {
    const { client_secret: _gone, ...rest } = complete;
    const spec = { tokenEndpointAuthMethod: 'client_secret_jwt' };
    expect(decideSecret(input({ client: client(spec), existing: ours(rest) }))).toEqual({
      kind: 'update',
      data: { client_secret: b64('new-secret') },
      annotations: { 'latchkey.dev/secret-rotated-at': '2026-01-10T12:00:00Z' },
      secretReplaced: true,
    });
  });
});

describe('rotation of a generated secret (frozen clock)', () => {
  const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString().replace('.000Z', 'Z');
  const MIN = 60_000;
  const H = 60 * MIN;
  const withRotation = (rotation: object | undefined, annotations?: Record<string, string>) => {
    const c = client(rotation === undefined ? {} : { secret: { rotation } });
    return annotations === undefined ? c : { ...c, metadata: { ...c.metadata, annotations } };
  };
  const secret = (
    data: Record<string, string>,
    annotations: Record<string, string> = {},
    created = at(-24 * H),
  ): KubeObject => {
    const o = ours(data);
    return {
      ...o,
      metadata: { ...o.metadata, annotations, creationTimestamp: created, resourceVersion: '42' },
    };
  };
  const rotatedTo = (validUntil: string, extra: Record<string, string> = {}) => ({
    data: { client_secret: b64('new-secret'), previous_client_secret: b64('s') },
    annotations: {
      'latchkey.dev/secret-rotated-at': at(0),
      'latchkey.dev/previous-secret-valid-until': validUntil,
      ...extra,
    },
  });
  /** The update that ends a grace period: the previous secret and its valid-until go, the current one stays. */
  const previousRemoved = {
    kind: 'update',
    secretReplaced: false,
    resourceVersion: '42',
    data: { previous_client_secret: null },
    annotations: { 'latchkey.dev/previous-secret-valid-until': null },
    previousExpired: true,
  };
  const request = { 'latchkey.dev/rotate-secret': '2026-01-10' };
  const handled = { 'latchkey.dev/rotate-secret-handled': '2026-01-10' };

  it.each([
    [
      'a new value of latchkey.dev/rotate-secret rotates, keeping the previous secret for the default 10m',
      withRotation(undefined, request),
      secret(complete),
      {
        kind: 'update',
        secretReplaced: false,
        resourceVersion: '42',
        ...rotatedTo(at(10 * MIN), handled),
        rotated: { cause: 'requested', previousValidUntil: at(10 * MIN) },
      },
    ],
    [
      'a value already handled does not rotate again',
      withRotation(undefined, request),
      secret(complete, handled),
      { kind: 'none' },
    ],
    [
      'a request uses the configured gracePeriod',
      withRotation({ gracePeriod: '3s' }, { 'latchkey.dev/rotate-secret': 'again' }),
      secret(complete, handled),
      {
        kind: 'update',
        secretReplaced: false,
        resourceVersion: '42',
        ...rotatedTo(at(3000), { 'latchkey.dev/rotate-secret-handled': 'again' }),
        rotated: { cause: 'requested', previousValidUntil: at(3000) },
      },
    ],
    [
      'the interval rotates when due, counted from the creation of the Secret',
      withRotation({ interval: '24h' }),
      secret(complete),
      {
        kind: 'update',
        secretReplaced: false,
        resourceVersion: '42',
        ...rotatedTo(at(10 * MIN)),
        rotated: { cause: 'scheduled', previousValidUntil: at(10 * MIN) },
      },
    ],
    [
      'the interval is not due a moment before its time',
      withRotation({ interval: '24h' }),
      secret(complete, {}, at(-24 * H + 1000)),
      { kind: 'none' },
    ],
    [
      'the interval counts from the last rotation, not from the creation',
      withRotation({ interval: '24h' }),
      secret(complete, { 'latchkey.dev/secret-rotated-at': at(-23 * H) }),
      { kind: 'none' },
    ],
    [
      'the previous secret stays during its grace period',
      withRotation({ interval: '24h' }),
      secret(
        { ...complete, previous_client_secret: 'old' },
        { 'latchkey.dev/secret-rotated-at': at(-MIN), 'latchkey.dev/previous-secret-valid-until': at(1000) },
      ),
      { kind: 'none' },
    ],
    [
      'the previous secret is removed when its grace period has ended',
      withRotation({ interval: '24h' }),
      secret(
        { ...complete, previous_client_secret: 'old' },
        {
          'latchkey.dev/secret-rotated-at': at(-10 * MIN),
          'latchkey.dev/previous-secret-valid-until': at(0),
        },
      ),
      previousRemoved,
    ],
    [
      'a previous secret without a readable valid-until is removed, never kept open-ended',
      withRotation(undefined),
      secret({ ...complete, previous_client_secret: 'old' }, {}),
      previousRemoved,
    ],
    [
      'a rotation during a grace period replaces the previous secret and restarts the grace period',
      withRotation(undefined, { 'latchkey.dev/rotate-secret': 'twice' }),
      secret(
        { ...complete, previous_client_secret: 'older' },
        { ...handled, 'latchkey.dev/previous-secret-valid-until': at(MIN) },
      ),
      {
        kind: 'update',
        secretReplaced: false,
        resourceVersion: '42',
        ...rotatedTo(at(10 * MIN), { 'latchkey.dev/rotate-secret-handled': 'twice' }),
        rotated: { cause: 'requested', previousValidUntil: at(10 * MIN) },
      },
    ],
    [
      'a removed secret key gets a new secret at once and no grace period for the previous one',
      withRotation(undefined),
      secret(
        {
          client_id: 'worker.billing',
          issuer: urls.issuer,
          token_endpoint: urls.tokenEndpoint,
          previous_client_secret: 'old',
        },
        { 'latchkey.dev/previous-secret-valid-until': at(MIN) },
      ),
      {
        kind: 'update',
        secretReplaced: true,
        resourceVersion: '42',
        data: { client_secret: b64('new-secret'), previous_client_secret: null },
        annotations: {
          'latchkey.dev/secret-rotated-at': at(0),
          'latchkey.dev/previous-secret-valid-until': null,
        },
      },
    ],
  ])('%s', (_what, c, existing, expected) => {
    expect(decideSecret(input({ client: c, existing }))).toEqual(expected);
  });

  it('keeps the previous secret under previous_<keys.clientSecret>', () => {
    const c = {
      ...client({ secret: { keys: { clientSecret: 'password' } } }),
      metadata: { namespace: 'billing', name: 'worker', annotations: request },
    };
    const { client_secret: s, ...rest } = complete;
    const action = decideSecret(input({ client: c, existing: secret({ ...rest, password: s }) }));
    expect(action).toMatchObject({
      kind: 'update',
      data: { password: b64('new-secret'), previous_password: b64('s') },
    });
  });

  it('records a request made before the Secret existed as handled by its first secret', () => {
    const action = decideSecret(input({ client: withRotation(undefined, request) }));
    expect(action).toMatchObject({ kind: 'create', body: { metadata: { annotations: handled } } });
  });

  it('never rotates a source: Existing Secret, and the schema refuses rotation for it', () => {
    const existing = {
      ...client({ secret: { source: 'Existing' } }),
      metadata: { namespace: 'billing', name: 'worker', annotations: request },
    };
    expect(decideSecret(input({ client: existing, existing: secret(complete) }))).toEqual({ kind: 'none' });
    const refused = oauthClientSpec.safeParse({
      secret: { source: 'Existing', rotation: { interval: '24h' } },
    });
    expect(refused.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      [
        'secret.rotation',
        'rotation is only for source Generate: a Secret written by someone else is rotated by whoever writes it',
      ],
    ]);
  });

  it.each([
    [{ interval: '10m' }, false],
    [{ interval: '10m', gracePeriod: '10m' }, false],
    [{ interval: '11m' }, true],
    [{ interval: '2s', gracePeriod: '1s' }, true],
  ])('accepts rotation %j only with an interval longer than the grace period: %s', (rotation, ok) => {
    expect(oauthClientSpec.safeParse({ secret: { rotation } }).success).toBe(ok);
  });

  it('refuses rotation for a client without a secret', () => {
    const spec = {
      tokenEndpointAuthMethod: 'private_key_jwt',
      jwksUri: 'https://worker.example/jwks.json',
      secret: { rotation: {} },
    };
    expect(oauthClientSpec.safeParse(spec).success).toBe(false);
  });

  describe('secretStep: the decision and the wait come from one reading of the clock', () => {
    const inGrace = secret(
      { ...complete, previous_client_secret: 'old' },
      { 'latchkey.dev/secret-rotated-at': at(-10 * MIN), 'latchkey.dev/previous-secret-valid-until': at(0) },
    );
    const rotated = secret(complete, {}, at(-1 * H));
    // A queue timer may fire a millisecond before the due time: "nothing yet" must then come with a wait
    // above 0, or nothing would ever look again.
    it.each([
      ['the end of a grace period', withRotation(undefined), inGrace, 'update'],
      ['a scheduled rotation', withRotation({ interval: '1h' }), rotated, 'update'],
    ])('one millisecond before %s: nothing, and a wait of 1 ms; at it: %s', (_what, c, existing, kind) => {
      expect(secretStep(input({ client: c, existing, now: NOW - 1 }))).toMatchObject({
        action: { kind: 'none' },
        wakeInMs: 1,
      });
      expect(secretStep(input({ client: c, existing, now: NOW }))).toMatchObject({
        action: { kind },
        wakeInMs: 0,
      });
    });
  });

  describe('secretWakeAt: when the queue should look again', () => {
    it.each([
      [
        'nothing is scheduled without an interval or a previous secret',
        withRotation(undefined),
        secret(complete),
        undefined,
      ],
      ['the next rotation', withRotation({ interval: '48h' }), secret(complete), NOW + 24 * H],
      [
        'the end of the grace period when it comes first',
        withRotation({ interval: '48h' }),
        secret(
          { ...complete, previous_client_secret: 'old' },
          { 'latchkey.dev/secret-rotated-at': at(0), 'latchkey.dev/previous-secret-valid-until': at(MIN) },
        ),
        NOW + MIN,
      ],
      [
        'no grace period once the previous secret is gone',
        withRotation(undefined),
        secret(complete, { 'latchkey.dev/previous-secret-valid-until': at(MIN) }),
        undefined,
      ],
      ['no Secret yet', withRotation({ interval: '48h' }), undefined, undefined],
    ])('%s', (_what, c, existing, expected) => {
      expect(secretWakeAt({ client: c, uid: 'uid-1', existing })).toBe(expected);
    });

    it('schedules nothing for a Secret of another owner', () => {
      const foreign = { ...secret(complete), metadata: { name: 'worker-oauth', namespace: 'billing' } };
      expect(
        secretWakeAt({ client: withRotation({ interval: '1h' }), uid: 'uid-1', existing: foreign }),
      ).toBe(undefined);
    });
  });
});
