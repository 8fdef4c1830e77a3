import { z } from 'zod';
import { conditions, objectRef, observedGeneration, shownDisplayName, withRules } from './common.ts';
import { MAX_PERSON_RULES, personRuleFields, personRuleRules } from './person-rule.ts';

const member = withRules(
  z
    .object({
      ...personRuleFields,
      // No default here, as for clients[].roles: server-side apply would record it as the applier's field.
      roles: z.array(objectRef('Role')).optional().meta({
        description: "Roles that people matching this rule have in this organization's context.",
      }),
    })
    .meta({
      description:
        'People who are members: a Connection of `connections`, optionally narrowed to a group or a verified email domain; or one user id.',
    }),
  personRuleRules(),
);

export const organizationSpec = z
  .object({
    displayName: shownDisplayName(
      'Human-readable name of the organization, shown to people who choose among their organizations on the hosted `/organization` page; `metadata.name` when absent.',
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
    connections: z.array(objectRef('Connection')).default([]).meta({
      description:
        'Connections people may sign in to this organization through: an organization sign-in (`organization` on the authorization request) offers only those of them that the client offers. Each rule of `members` names one of these.',
    }),
    members: z
      .array(member)
      .max(MAX_PERSON_RULES)
      .default([])
      .meta({
        description: `Who is a member, by rules on what the Connection says at sign-in: a person matching any rule is one. Membership is computed at each sign-in and refresh, never stored by hand. At most ${MAX_PERSON_RULES}.`,
      }),
  })
  .meta({
    description: 'A tenant or customer: which clients may act for it, and which people are its members.',
  });

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
