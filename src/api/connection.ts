import { z } from 'zod';
import {
  allowedNamespaces,
  conditions,
  objectName,
  observedGeneration,
  withRules,
  shownDisplayName,
} from './common.ts';
import { GOOGLE_ISSUER, signInFields, signInRules } from './connection-sign-in.ts';

export const CONNECTION_TYPES = ['kubernetes', 'oidc', 'github', 'google', 'test'] as const;
export type ConnectionTypeName = (typeof CONNECTION_TYPES)[number];

/** Types with an issuer whose discovery document and keys are checked: `github` and `test` have none. */
export const ISSUER_TYPES: ReadonlySet<ConnectionTypeName> = new Set(['kubernetes', 'oidc', 'google']);

/** The issuer a Connection declares, or its type's own (`google`). */
export function declaredIssuer(spec: {
  type: ConnectionTypeName;
  issuer?: string | undefined;
}): string | undefined {
  return spec.issuer ?? (spec.type === 'google' ? GOOGLE_ISSUER : undefined);
}

const connectionObject = z.object({
  type: z.enum(CONNECTION_TYPES).meta({
    description:
      "`kubernetes`: this cluster's ServiceAccount token issuer, for workload federation. `oidc`: any OpenID Connect issuer, found through its discovery document: workloads federate with its tokens, and with `clientId` people sign in through it (authorization code with PKCE, the ID token checked with its nonce). `github`: GitHub or GitHub Enterprise Server (OAuth 2.0 with the user, email and organization APIs; organizations and teams become groups). `google`: Google's OpenID provider (issuer `https://accounts.google.com`), with `hostedDomains`. `test`: declared `testUsers` and no upstream, for trying sign-in with `latchkey dev` only; the operator refuses it.",
  }),
  displayName: shownDisplayName(
    'Human-readable name of the identity source, shown to people on the hosted login page; default `metadata.name`.',
  ),
  issuer: z.string().url().optional().meta({
    description:
      'Issuer URL (OpenID Connect Discovery §4). Required for `oidc`; for `kubernetes` it is discovered; `google` has its own.',
  }),
  clientId: z.string().min(1).optional().meta({
    description:
      "Latchkey's client id at the upstream provider (RFC 6749 §2.2), registered there with the redirect URI `<Latchkey issuer>/login/callback`. Required for `github` and `google`; an `oidc` Connection without it serves workload federation only.",
  }),
  clientSecretRef: z
    .object({
      name: objectName.meta({ description: 'Name of a Secret in this namespace.' }),
      key: z.string().default('client_secret').meta({ description: 'Key in that Secret.' }),
    })
    .optional()
    .meta({
      description:
        "Secret holding Latchkey's client secret at the upstream provider (RFC 6749 §2.3.1). Read by the operator (or, in dev mode, from a Secret among the manifests) and kept in memory only, never in status, Events or logs; while the Secret or its key is missing, the Connection is not Ready (`SecretMissing`). Without it, Latchkey is a public client there (PKCE alone).",
    }),
  scopes: z.array(z.string().min(1)).optional().meta({
    description:
      'Scopes to request from the upstream provider, besides the ones Latchkey needs (`openid` for `oidc` and `google`; `read:user`, `user:email` and, with `allowedOrganizations`, `read:org` for `github`), e.g. `email`, `profile`.',
  }),
  ...signInFields,
  allowedNamespaces,
});

export const connectionSpec = withRules(connectionObject, [
  {
    cel: "self.type != 'oidc' || has(self.issuer)",
    message: 'a Connection of type oidc needs spec.issuer',
    field: 'issuer',
    holds: (s) => s.type !== 'oidc' || s.issuer !== undefined,
  },
  {
    cel: '!has(self.clientSecretRef) || has(self.clientId)',
    message: 'spec.clientSecretRef needs spec.clientId',
    field: 'clientId',
    holds: (s) => s.clientSecretRef === undefined || s.clientId !== undefined,
  },
  ...signInRules,
]).meta({ description: 'A trusted external identity source.' });

export const connectionStatus = z
  .object({
    observedGeneration,
    issuer: z.string().optional().meta({ description: 'The issuer found.' }),
    jwksUri: z.string().optional().meta({ description: 'Where the issuer publishes its keys.' }),
    conditions,
  })
  .meta({ description: 'What the operator observed of this Connection.' });

export type ConnectionSpec = z.output<typeof connectionSpec>;
