import { z } from 'zod';
import { conditions, notUsedYet, objectRef, observedGeneration, displayName } from './common.ts';

export const organizationSpec = z
  .object({
    displayName: displayName(
      'the hosted login pages',
      'Human-readable name of the organization, shown to people who sign in.',
    ),
    clients: z
      .array(
        z.object({
          client: objectRef('OAuthClient'),
          // No default here: a default inside a list item makes the API server's server-side apply
          // record it as the applier's field, and a second field manager then conflicts on the list.
          roles: z.array(objectRef('Role')).optional().meta({
            description: "Extra roles the client has only in this organization's context.",
          }),
        }),
      )
      .default([])
      .meta({
        description:
          'OAuthClients that may get tokens for this organization (`org_id` claim); the client must set `organizationUsage` to allow or require.',
      }),
    connections: z
      .array(objectRef('Connection'))
      .default([])
      .meta({
        description: notUsedYet(
          'people sign-in',
          'Connections whose people may sign in to this organization. The references are resolved and checked against `allowedNamespaces` today.',
        ),
      }),
  })
  .meta({ description: 'A tenant or customer: which clients may act for it.' });

export const organizationStatus = z
  .object({
    observedGeneration,
    organizationId: z
      .string()
      .optional()
      .meta({ description: 'The `org_id` tokens carry for this organization.' }),
    conditions,
  })
  .meta({ description: 'What the operator observed of this Organization.' });

export type OrganizationSpec = z.output<typeof organizationSpec>;
