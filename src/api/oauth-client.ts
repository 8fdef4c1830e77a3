import { z } from 'zod';
import {
  allowedNamespaces,
  conditions,
  duration,
  namespaceName,
  objectName,
  objectRef,
  observedGeneration,
  withRules,
  shownDisplayName,
} from './common.ts';
import { parseDuration } from './duration.ts';
import { peopleClientFields, peopleClientRules } from './oauth-client-people.ts';
import { permission } from './role.ts';
import { JWKS_URI, jwks } from './client-keys.ts';

export const GRANT_TYPES = [
  'client_credentials',
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'urn:ietf:params:oauth:grant-type:token-exchange',
] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export const AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'client_secret_jwt',
  'none',
] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

// RFC 6749 Appendix A.1: client_id = *VSCHAR. We are stricter so ids survive URLs, headers and YAML.
export const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:~-]{0,253}$/;

const secretKeys = z
  .object({
    clientId: z.string().default('client_id').meta({ description: 'Key holding the client id.' }),
    clientSecret: z.string().default('client_secret').meta({ description: 'Key holding the client secret.' }),
    issuer: z.string().default('issuer').meta({ description: 'Key holding the issuer URL.' }),
    tokenEndpoint: z
      .string()
      .default('token_endpoint')
      .meta({ description: 'Key holding the token endpoint URL.' }),
  })
  .default({
    clientId: 'client_id',
    clientSecret: 'client_secret',
    issuer: 'issuer',
    tokenEndpoint: 'token_endpoint',
  })
  .meta({ description: 'Names of the keys in the Secret.' });

/**
 * How long a replaced client secret keeps working unless `gracePeriod` says otherwise. A pod sees a
 * changed Secret volume after the kubelet's sync period plus its cache TTL (about 1–2 minutes at worst);
 * 10 minutes leaves ample room for that, for a busy kubelet, and for a workload that rereads its file
 * only when a request fails.
 */
export const DEFAULT_SECRET_GRACE_PERIOD = '10m';

/** Set to any new value on an OAuthClient to rotate its generated secret once (issue 4). */
export const ROTATE_SECRET_ANNOTATION = 'latchkey.dev/rotate-secret';

/**
 * What a generated Secret records about rotation, so every replica and the next leader know it without
 * memory of their own: the last `latchkey.dev/rotate-secret` value acted on, when the secret was last
 * rotated, and until when the previous secret (kept under {@link previousSecretKey}) is accepted.
 */
export const SECRET_ROTATION_ANNOTATIONS = {
  handled: 'latchkey.dev/rotate-secret-handled',
  rotatedAt: 'latchkey.dev/secret-rotated-at',
  previousValidUntil: 'latchkey.dev/previous-secret-valid-until',
} as const;

/** The Secret key holding the secret a rotation replaced, while it is still accepted. */
export function previousSecretKey(clientSecretKey: string): string {
  return `previous_${clientSecretKey}`;
}

// Bounded so the CEL cost of duration() stays small.
const rotationDuration = duration.max(32);

const secretRotationObject = z.object({
  interval: rotationDuration.optional().meta({
    description:
      'Rotate the generated secret this long after the last rotation (or after the Secret was created), e.g. `720h`. Without it the secret is rotated only on demand: set the annotation `latchkey.dev/rotate-secret` on the OAuthClient to a new value (a date, a counter); each new value rotates once. Must be longer than `gracePeriod`.',
  }),
  gracePeriod: rotationDuration.default(DEFAULT_SECRET_GRACE_PERIOD).meta({
    description:
      'How long the previous secret keeps working after a rotation, so workloads can pick up the new value. Pods see a changed Secret volume within the kubelet sync period plus its cache TTL (about 1–2 minutes at worst); the default `10m` leaves a wide margin. A workload that reads the secret only at start-up needs a restart within this time. A rotation during the grace period of the one before ends that grace period at once.',
  }),
});

const secretRotation = withRules(secretRotationObject, [
  {
    cel: '!has(self.interval) || duration(self.interval) > duration(self.gracePeriod)',
    message: 'interval must be longer than gracePeriod, so only one previous secret is ever in use',
    field: 'interval',
    holds: (r) =>
      r.interval === undefined ||
      (parseDuration(r.interval) ?? 0) > (parseDuration(r.gracePeriod) ?? Number.POSITIVE_INFINITY),
  },
]).meta({
  description:
    'Rotation of a generated secret, on a schedule (`interval`) and on demand (annotation `latchkey.dev/rotate-secret`). The Secret gets the new value in `keys.clientSecret` and keeps the previous one, still accepted for `gracePeriod`, in `previous_<keys.clientSecret>`. `status.secretRotatedAt` and `status.previousSecretValidUntil` say what happened; Events `SecretRotated` too. Only for `source: Generate`.',
});

const secretSpecObject = z.object({
  name: objectName.optional().meta({ description: 'Name of the Secret; default `<metadata.name>-oauth`.' }),
  source: z.enum(['Generate', 'Existing']).default('Generate').meta({
    description:
      '`Generate`: Latchkey creates the Secret with a new 256-bit secret and owns it. `Existing`: Latchkey waits for a Secret written by someone else (an external secrets tool) and never generates one; its secret must be at least 32 characters.',
  }),
  keys: secretKeys,
  rotation: secretRotation.optional(),
});

const secretSpec = withRules(secretSpecObject, [
  {
    cel: "self.source == 'Generate' || !has(self.rotation)",
    message:
      'rotation is only for source Generate: a Secret written by someone else is rotated by whoever writes it',
    field: 'rotation',
    holds: (s) => s.source === 'Generate' || s.rotation === undefined,
  },
])
  .default({
    source: 'Generate',
    keys: {
      clientId: 'client_id',
      clientSecret: 'client_secret',
      issuer: 'issuer',
      tokenEndpoint: 'token_endpoint',
    },
  })
  .meta({
    description:
      "Where the client's credentials live: a Secret in the client's namespace. Unused by `private_key_jwt` clients, which have no Secret: their private key stays with the workload.",
  });

/** How far ahead a client assertion's `exp` may be unless `spec.clientAssertion.maxLifetime` says otherwise. */
export const DEFAULT_ASSERTION_MAX_LIFETIME = '5m';
/**
 * The longest `spec.clientAssertion.maxLifetime`: an assertion is a bearer credential until it expires, and
 * the replay check keeps its `jti` as long (issue 9, items 1 and 13).
 */
export const ASSERTION_MAX_LIFETIME_CEILING = '1h';

const clientAssertionObject = z.object({
  maxLifetime: duration.max(32).default(DEFAULT_ASSERTION_MAX_LIFETIME).meta({
    description:
      "How far ahead of the request a client assertion's `exp` may be (RFC 7523 §3), for `private_key_jwt` and `client_secret_jwt`; at most `1h`. The default `5m` suits libraries that sign an assertion for each request with a short `exp`. Python authlib signs its assertions for 1 hour: set `1h` for it, or make it sign shorter ones. The replay check keeps each assertion's `jti` until it expires, within a share of 10,000 unexpired assertions per client: with `1h` that is about 2.7 assertions a second, enough for a client that reuses each access token for its lifetime. Tokens of `federatedIdentities` are not client assertions and are not limited by this.",
  }),
});

const clientAssertion = withRules(clientAssertionObject, [
  {
    cel: `duration(self.maxLifetime) >= duration('1s') && duration(self.maxLifetime) <= duration('${ASSERTION_MAX_LIFETIME_CEILING}')`,
    message: `maxLifetime must be between 1s and ${ASSERTION_MAX_LIFETIME_CEILING}`,
    field: 'maxLifetime',
    holds: (a) => {
      const ms = parseDuration(a.maxLifetime);
      return (
        ms !== undefined && ms >= 1000 && ms <= (parseDuration(ASSERTION_MAX_LIFETIME_CEILING) as number)
      );
    },
  },
]).meta({ description: "How the client's own JWT assertions (RFC 7523 §2.2) are checked." });

/** Most federated identities one client may list. */
export const MAX_FEDERATED_IDENTITIES = 16;

const federatedIdentity = z
  .object({
    connection: objectRef('Connection'),
    subject: z.string().min(1).max(512).meta({
      description:
        "The exact `sub` of the workload's token, e.g. `system:serviceaccount:<namespace>:<name>` for a Connection of type `kubernetes`: a ServiceAccount of this OAuthClient's own namespace, as only that namespace may federate its ServiceAccounts.",
    }),
  })
  .meta({
    description:
      "A workload identity that authenticates as this client: a token issued by the Connection's issuer to this subject.",
  });
/** The most namespaces one grant of the management API may name. */
export const MAX_GRANT_NAMESPACES = 64;

/** A direct grant: a Role's permission, and for the built-in management API, the namespaces it reaches. */
const clientGrant = permission.extend({
  namespaces: z
    .array(namespaceName)
    .min(1)
    .max(MAX_GRANT_NAMESPACES)
    .optional()
    .meta({
      description: `Only for Latchkey's built-in management API (\`management-api\` in the Latchkey namespace): the namespaces whose objects these scopes reach. Without it, a client in the Latchkey namespace reaches every namespace and any other client its own. Only a client in the Latchkey namespace may name other namespaces than its own. At most ${MAX_GRANT_NAMESPACES}.`,
      'x-kubernetes-list-type': 'set',
    }),
});

const oauthClientObject = z.object({
  clientId: z.string().regex(CLIENT_ID).optional().meta({
    description:
      'The OAuth `client_id`. Default `<metadata.name>.<metadata.namespace>`, stable across clusters that apply the same Git.',
  }),
  displayName: shownDisplayName(
    'Human-readable name of the application, shown to people on the hosted login and consent pages; default `metadata.name`.',
  ),
  appType: z.enum(['non_interactive', 'native', 'web', 'spa']).default('non_interactive').meta({
    description:
      "Kind of application (the issue's applicationType; `application_type` of OpenID Connect Dynamic Client Registration §2 knows only web and native): `non_interactive` (machine to machine, no people), `web` (a server-side app that keeps a secret: a confidential client), `spa` (browser code) or `native` (a desktop or mobile app, a CLI). `spa` and `native` are public clients (RFC 8252 §8.4): `tokenEndpointAuthMethod: none`, with PKCE protecting their codes.",
  }),
  grantTypes: z
    .array(z.enum(GRANT_TYPES))
    .min(1)
    .max(GRANT_TYPES.length)
    .default(['client_credentials'])
    .meta({
      description:
        'OAuth grant types the client may use (RFC 6749 §4, RFC 8628, RFC 7523, RFC 8693). `authorization_code` (with PKCE, RFC 7636) and `refresh_token` sign people in, for `appType` web, spa or native; they are served when Latchkey has runtime state, where codes and refresh tokens live. A refresh token is issued only when the person grants `offline_access` and the client lists `refresh_token`. `urn:ietf:params:oauth:grant-type:device_code` (RFC 8628) signs a person in on a device without a browser or keyboard, such as a CLI: for `appType` native or web, with `connections`, served with runtime state like `authorization_code`.',
      'x-kubernetes-list-type': 'set',
    }),
  tokenEndpointAuthMethod: z.enum(AUTH_METHODS).default('client_secret_basic').meta({
    description:
      'How the client authenticates at the token endpoint (RFC 7591 §2). A client with a shared secret may send it with HTTP Basic or in the form body, whichever of the two is named here. `private_key_jwt` signs a JWT assertion with a private key whose public half is in `jwks` or at `jwksUri`, or presents a workload token listed in `federatedIdentities` (then neither `jwks` nor `jwksUri` is needed), and has no Secret; `client_secret_jwt` signs it with HMAC using the generated secret (RFC 7523 §2.2, OpenID Connect Core §9). `none` is a public client (RFC 6749 §2.1: a SPA or a native app, which cannot keep a secret): it sends only `client_id`, and only for `authorization_code` (bound by PKCE), `refresh_token` and revocation, never for `client_credentials`.',
  }),
  jwks: jwks.optional(),
  jwksUri: z.string().max(2048).regex(JWKS_URI).optional().meta({
    description:
      "URL of the client's JWK Set (RFC 7591 §2), for `private_key_jwt`: https, or http to localhost/127.0.0.1/[::1] only. Fetched when an assertion arrives and no fresh copy is cached, and again when an assertion names an unknown `kid` (at most every 30 s), so rotating keys needs no change here. No redirects are followed.",
  }),
  clientAssertion: clientAssertion.optional(),
  federatedIdentities: z.array(federatedIdentity).min(1).max(MAX_FEDERATED_IDENTITIES).optional().meta({
    description:
      "Secretless workloads, for `private_key_jwt` (with or without `jwks`/`jwksUri`): a workload sends its token from a Connection's issuer (a projected ServiceAccount token whose audience is Latchkey's issuer, for type `kubernetes`) as `client_assertion` with `client_id`. Latchkey verifies it with the keys the operator found at the Connection's issuer, requires `aud` to name Latchkey and `exp` in the future, and matches `sub` exactly to a `subject` listed here for that issuer. Such tokens are reused until they rotate, so no `jti` replay check and no 5-minute lifetime cap apply to them.",
  }),
  grants: z.array(clientGrant).default([]).meta({
    description: 'Direct client grants: scopes on ResourceServers this client may request.',
  }),
  roles: z.array(objectRef('Role')).default([]).meta({
    description: 'Roles whose permissions this client has, in addition to `grants`.',
  }),
  organizationUsage: z.enum(['deny', 'allow', 'require']).default('deny').meta({
    description:
      'Whether tokens may (`allow`) or must (`require`) be issued for an Organization that lists this client (`organization` parameter, `org_id` claim).',
  }),
  secret: secretSpec,
  allowedNamespaces,
  ...peopleClientFields,
});

export const oauthClientSpec = withRules(oauthClientObject, [
  {
    cel: "!('client_credentials' in self.grantTypes) || self.tokenEndpointAuthMethod != 'none'",
    message: 'client_credentials needs a confidential client: tokenEndpointAuthMethod must not be none',
    field: 'tokenEndpointAuthMethod',
    holds: (s) => !s.grantTypes.includes('client_credentials') || s.tokenEndpointAuthMethod !== 'none',
  },
  {
    cel: "self.tokenEndpointAuthMethod != 'private_key_jwt' || has(self.jwks) != has(self.jwksUri) || (has(self.federatedIdentities) && !has(self.jwks))",
    message:
      'private_key_jwt needs the public keys of the client: set exactly one of jwks and jwksUri, or federatedIdentities',
    field: 'jwks',
    holds: (s) =>
      s.tokenEndpointAuthMethod !== 'private_key_jwt' ||
      (s.jwks !== undefined) !== (s.jwksUri !== undefined) ||
      (s.federatedIdentities !== undefined && s.jwks === undefined),
  },
  {
    cel: "!has(self.federatedIdentities) || self.tokenEndpointAuthMethod == 'private_key_jwt'",
    message: 'federatedIdentities are only for tokenEndpointAuthMethod private_key_jwt',
    field: 'tokenEndpointAuthMethod',
    holds: (s) => s.federatedIdentities === undefined || s.tokenEndpointAuthMethod === 'private_key_jwt',
  },
  {
    cel: "!has(self.secret.rotation) || self.tokenEndpointAuthMethod in ['client_secret_basic', 'client_secret_post', 'client_secret_jwt']",
    message:
      'secret.rotation needs a client secret: tokenEndpointAuthMethod client_secret_basic, client_secret_post or client_secret_jwt',
    field: 'secret.rotation',
    holds: (s) =>
      s.secret.rotation === undefined ||
      ['client_secret_basic', 'client_secret_post', 'client_secret_jwt'].includes(s.tokenEndpointAuthMethod),
  },
  {
    cel: "!has(self.clientAssertion) || self.tokenEndpointAuthMethod in ['private_key_jwt', 'client_secret_jwt']",
    message: 'clientAssertion is only for tokenEndpointAuthMethod private_key_jwt and client_secret_jwt',
    field: 'clientAssertion',
    holds: (s) =>
      s.clientAssertion === undefined ||
      ['private_key_jwt', 'client_secret_jwt'].includes(s.tokenEndpointAuthMethod),
  },
  {
    cel: "self.tokenEndpointAuthMethod == 'private_key_jwt' || (!has(self.jwks) && !has(self.jwksUri))",
    message: 'jwks and jwksUri are only for tokenEndpointAuthMethod private_key_jwt',
    field: 'tokenEndpointAuthMethod',
    holds: (s) =>
      s.tokenEndpointAuthMethod === 'private_key_jwt' || (s.jwks === undefined && s.jwksUri === undefined),
  },
  ...peopleClientRules,
]).meta({ description: 'An application that gets tokens from Latchkey.' });

export const oauthClientStatus = z
  .object({
    observedGeneration,
    clientId: z.string().optional().meta({ description: 'The client id in effect.' }),
    secretName: z.string().optional().meta({ description: 'The Secret holding the credentials.' }),
    secretRotatedAt: z.string().optional().meta({
      description:
        'When the generated secret was last replaced: by a rotation, or because its key was removed from the Secret. Absent until then.',
      format: 'date-time',
    }),
    previousSecretValidUntil: z.string().optional().meta({
      description:
        'Until when the secret replaced by the last rotation is still accepted; absent once it has stopped working.',
      format: 'date-time',
    }),
    nextSecretRotationAt: z.string().optional().meta({
      description: 'When the next rotation by `spec.secret.rotation.interval` is due.',
      format: 'date-time',
    }),
    conditions,
  })
  .meta({ description: 'What the operator observed of this OAuthClient.' });

export type OAuthClientSpec = z.output<typeof oauthClientSpec>;
