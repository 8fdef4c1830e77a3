import { z } from 'zod';
import {
  allowedNamespaces,
  conditions,
  duration,
  objectRef,
  observedGeneration,
  shownDisplayName,
} from './common.ts';

export const SIGNING_ALGORITHMS = ['RS256', 'ES256', 'EdDSA', 'Ed25519'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

// RFC 6749 §3.3: scope-token = 1*NQCHAR, printable ASCII except space, `"` and `\`.
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** Claims about a person that a ResourceServer may ask for in its access tokens. */
export const PEOPLE_CLAIMS = ['permissions', 'groups'] as const;

export const scopeName = z.string().min(1).max(200).regex(SCOPE_TOKEN);

export const resourceServerSpec = z
  .object({
    identifier: z.string().min(1).max(2048).meta({
      description:
        "The API's identifier: the `aud` claim of its access tokens (RFC 9068 §3) and the value clients send as `audience` or `resource` (RFC 8707). Usually a URL. Unique across the installation.",
    }),
    displayName: shownDisplayName(
      'Human-readable name of the API, shown to people who consent to an application using it (the consent page of third-party clients).',
    ),
    scopes: z
      .array(
        z.object({
          name: scopeName.meta({ description: 'The scope token (RFC 6749 §3.3), e.g. `payments:read`.' }),
          description: z.string().max(500).optional().meta({
            description:
              'What the scope allows, in words shown to people who consent to it (the consent page of third-party clients); the scope name when absent.',
          }),
        }),
      )
      .default([])
      .meta({
        description: 'The permissions this API defines. Roles and client grants may name only these.',
        'x-kubernetes-list-type': 'map',
        'x-kubernetes-list-map-keys': ['name'],
      }),
    accessToken: z
      .object({
        lifetime: duration.default('5m').meta({
          description:
            'How long access tokens for this API are valid (`expires_in`, `exp - iat`). Default 5m.',
        }),
        signingAlgorithm: z.enum(SIGNING_ALGORITHMS).default('RS256').meta({
          description:
            "JWS algorithm of access tokens for this API: RS256 or ES256 (RFC 7518 §3.1), Ed25519 (RFC 9864 §2), or EdDSA, the name RFC 9864 deprecates for Ed25519, for libraries that know only it. Ed25519 and EdDSA sign with the same key, published under both names with a kid each (the Ed25519 entry's kid ends in `.ed25519`).",
        }),
      })
      .default({ lifetime: '5m', signingAlgorithm: 'RS256' })
      .meta({ description: 'How access tokens for this API are issued (RFC 9068).' }),
    introspection: z
      .object({
        clients: z.array(objectRef('OAuthClient')).min(1).max(64).meta({
          description:
            "OAuthClients that may introspect (RFC 7662) any access token whose `aud` is this API's identifier, e.g. the API's own client. Any client may always introspect the tokens issued to itself.",
        }),
      })
      .optional()
      .meta({
        description:
          "Who may ask Latchkey's introspection endpoint (`<issuer>/oauth2/introspect`, RFC 7662) about this API's tokens on its behalf.",
      }),
    people: z
      .object({
        claims: z.array(z.enum(PEOPLE_CLAIMS)).default([]).meta({
          description:
            "Claims about the person in this API's access tokens: `permissions`, the scopes the person's Roles give them on this API (Auth0's RBAC claim; Roles by `spec.subjects` and by an Organization's `members`); `groups`, the person's groups as their Connection mapped them.",
        }),
        enforceRoles: z.boolean().default(false).meta({
          description:
            "A person's token for this API carries only scopes that their Roles give them on it, besides the client's grant (Auth0's RBAC enforcement). Without it, the scopes asked for that the client is granted.",
        }),
      })
      .default({ claims: [], enforceRoles: false })
      .meta({ description: 'How access tokens issued to people for this API are shaped.' }),
    allowedNamespaces,
  })
  .meta({ description: 'An API protected by Latchkey: its identifier, scopes and token settings.' });

export const resourceServerStatus = z
  .object({ observedGeneration, conditions })
  .meta({ description: 'What the operator observed of this ResourceServer.' });

export type ResourceServerSpec = z.output<typeof resourceServerSpec>;
