import { z } from 'zod';
import {
  allowedNamespaces,
  conditions,
  objectName,
  objectRef,
  observedGeneration,
  withRules,
} from './common.ts';
import { permission } from './role.ts';

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

const secretSpec = z
  .object({
    name: objectName.optional().meta({ description: 'Name of the Secret; default `<metadata.name>-oauth`.' }),
    source: z.enum(['Generate', 'Existing']).default('Generate').meta({
      description:
        '`Generate`: Latchkey creates the Secret with a new 256-bit secret and owns it. `Existing`: Latchkey waits for a Secret written by someone else (an external secrets tool) and never generates one; its secret must be at least 32 characters.',
    }),
    keys: secretKeys,
  })
  .default({
    source: 'Generate',
    keys: {
      clientId: 'client_id',
      clientSecret: 'client_secret',
      issuer: 'issuer',
      tokenEndpoint: 'token_endpoint',
    },
  })
  .meta({ description: "Where the client's credentials live: a Secret in the client's namespace." });

const oauthClientObject = z.object({
  clientId: z.string().regex(CLIENT_ID).optional().meta({
    description:
      'The OAuth `client_id`. Default `<metadata.name>.<metadata.namespace>`, stable across clusters that apply the same Git.',
  }),
  displayName: z
    .string()
    .max(200)
    .optional()
    .meta({ description: 'Human-readable name of the application.' }),
  appType: z.enum(['non_interactive', 'native', 'web', 'spa']).default('non_interactive').meta({
    description: 'Kind of application: `non_interactive` (machine to machine), `native`, `web` or `spa`.',
  }),
  grantTypes: z
    .array(z.enum(GRANT_TYPES))
    .min(1)
    .max(GRANT_TYPES.length)
    .default(['client_credentials'])
    .meta({
      description: 'OAuth grant types the client may use (RFC 6749 §4, RFC 8628, RFC 7523, RFC 8693).',
      'x-kubernetes-list-type': 'set',
    }),
  tokenEndpointAuthMethod: z.enum(AUTH_METHODS).default('client_secret_basic').meta({
    description:
      'How the client authenticates at the token endpoint (RFC 7591 §2). A client with a shared secret may send it with HTTP Basic or in the form body, whichever of the two is named here.',
  }),
  grants: z.array(permission).default([]).meta({
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
});

export const oauthClientSpec = withRules(oauthClientObject, [
  {
    cel: "!('client_credentials' in self.grantTypes) || self.tokenEndpointAuthMethod != 'none'",
    message: 'client_credentials needs a confidential client: tokenEndpointAuthMethod must not be none',
    field: 'tokenEndpointAuthMethod',
    holds: (s) => !s.grantTypes.includes('client_credentials') || s.tokenEndpointAuthMethod !== 'none',
  },
]).meta({ description: 'An application that gets tokens from Latchkey.' });

export const oauthClientStatus = z
  .object({
    observedGeneration,
    clientId: z.string().optional().meta({ description: 'The client id in effect.' }),
    secretName: z.string().optional().meta({ description: 'The Secret holding the credentials.' }),
    conditions,
  })
  .meta({ description: 'What the operator observed of this OAuthClient.' });

export type OAuthClientSpec = z.output<typeof oauthClientSpec>;
