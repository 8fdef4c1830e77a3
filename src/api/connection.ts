import { z } from 'zod';
import {
  allowedNamespaces,
  conditions,
  notUsedYet,
  objectName,
  observedGeneration,
  withRules,
  displayName,
} from './common.ts';

const connectionObject = z.object({
  type: z.enum(['kubernetes', 'oidc']).meta({
    description:
      "`kubernetes`: this cluster's ServiceAccount token issuer, for workload federation. `oidc`: any OpenID Connect issuer, found through its discovery document.",
  }),
  displayName: displayName(
    'the hosted login page',
    'Human-readable name of the identity source, shown to people who sign in.',
  ),
  issuer: z.string().url().optional().meta({
    description:
      'Issuer URL (OpenID Connect Discovery §4). Required for `oidc`; for `kubernetes` it is discovered.',
  }),
  clientId: z
    .string()
    .min(1)
    .optional()
    .meta({
      description: notUsedYet(
        'people sign-in through this Connection',
        "Latchkey's client id at the upstream provider.",
      ),
    }),
  clientSecretRef: z
    .object({
      name: objectName.meta({ description: 'Name of a Secret in this namespace.' }),
      key: z.string().default('client_secret').meta({ description: 'Key in that Secret.' }),
    })
    .optional()
    .meta({
      description: notUsedYet(
        'people sign-in through this Connection; the Secret is not read',
        "Secret holding Latchkey's client secret at the upstream provider.",
      ),
    }),
  scopes: z
    .array(z.string().min(1))
    .optional()
    .meta({
      description: notUsedYet(
        'people sign-in through this Connection',
        'Scopes to request from the upstream provider when people sign in, e.g. openid, email, profile.',
      ),
    }),
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
