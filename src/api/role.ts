import { z } from 'zod';
import { allowedNamespaces, conditions, objectRef, observedGeneration } from './common.ts';
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
    allowedNamespaces,
  })
  .meta({ description: 'A named set of permissions: scopes on ResourceServers.' });

export const roleStatus = z
  .object({ observedGeneration, conditions })
  .meta({ description: 'What the operator observed of this Role.' });

export type RoleSpec = z.output<typeof roleSpec>;
