import { z } from 'zod';
import { allowedNamespaces, conditions, objectRef, observedGeneration } from './common.ts';
import { MAX_PERSON_RULES, personRule } from './person-rule.ts';
import { scopeName } from './resource-server.ts';

export const permission = z.object({
  resourceServer: objectRef('ResourceServer'),
  scopes: z
    .array(scopeName)
    .min(1)
    .meta({ description: 'Scopes of that ResourceServer; each must be declared in its `spec.scopes`.' }),
});

export const roleSpec = z
  .object({
    description: z.string().max(500).optional().meta({ description: 'What the role is for.' }),
    permissions: z
      .array(permission)
      .min(1)
      .meta({ description: 'Scopes on ResourceServers that the role grants.' }),
    subjects: z
      .array(personRule)
      .max(MAX_PERSON_RULES)
      .optional()
      .meta({
        description: `People who have this role wherever they sign in: a person matching any rule gets its permissions in access tokens for those ResourceServers, through a client granted them (a ResourceServer's \`people\` settings say whether they limit scopes and whether tokens list them as \`permissions\`). Evaluated at each sign-in and refresh from what the Connection said at sign-in. At most ${MAX_PERSON_RULES}.`,
      }),
    allowedNamespaces,
  })
  .meta({
    description: 'A named set of permissions: scopes on ResourceServers, for clients and for people.',
  });

export const roleStatus = z
  .object({ observedGeneration, conditions })
  .meta({ description: 'What the operator observed of this Role.' });

export type RoleSpec = z.output<typeof roleSpec>;
