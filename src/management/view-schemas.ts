import { z } from 'zod';
import { condition } from '../api/common.ts';
import { oauthClientSpec } from '../api/oauth-client.ts';
import { personRuleFields } from '../api/person-rule.ts';
import { resourceServerSpec } from '../api/resource-server.ts';
import { roleSpec } from '../api/role.ts';

/**
 * The management API's resources, defined once: their TypeScript types and the OpenAPI document
 * (./openapi.ts) come from these. A field that shows a spec field as it is reuses that field's schema, so its
 * enum, bounds and description are the CRD's.
 */

const client = oauthClientSpec.shape;
const api = resourceServerSpec.shape;
const described = (description: string) => z.string().meta({ description });
/** A spec field's list, shown as declared or as an empty list: the field's description, its items unbounded. */
const listLike = (field: z.ZodType) =>
  z
    .array(z.string())
    .optional()
    .meta({ description: field.description ?? '' });
/** A `namespace/name` reference. */
const reference = (what: string) =>
  z.string().meta({ description: `The ${what} as \`namespace/name\`.`, pattern: '^[a-z0-9-]+/[a-z0-9.-]+$' });

const objectFields = {
  namespace: described('The namespace of the custom resource.'),
  name: described('The `metadata.name` of the custom resource.'),
  created_at: z.string().optional().meta({
    description: 'When the object was created (RFC 3339); absent for one not stored yet.',
    format: 'date-time',
  }),
  ready: z
    .boolean()
    .meta({ description: 'Whether everything the object declares is in effect (its `Ready` condition).' }),
  conditions: z
    .array(condition.pick({ type: true, status: true, reason: true, message: true }))
    .meta({ description: 'What became of the object, `Ready` first, as its status conditions say.' }),
};

export const clientViewSchema = z
  .object({
    client_id: described('The client id in force: `spec.clientId`, or `<name>.<namespace>`.'),
    namespace: objectFields.namespace,
    name: objectFields.name,
    display_name: client.displayName,
    app_type: client.appType,
    grant_types: client.grantTypes,
    token_endpoint_auth_method: client.tokenEndpointAuthMethod,
    callbacks: listLike(client.redirectUris),
    allowed_logout_urls: listLike(client.postLogoutRedirectUris),
    web_origins: listLike(client.allowedOrigins),
    is_first_party: z
      .boolean()
      .meta({ description: 'First-party clients skip the consent page (`spec.firstParty`).' }),
    organization_usage: client.organizationUsage,
    secret_name: z.string().optional().meta({
      description:
        'The Secret that holds its generated secret, when it has one. The secret itself is never returned.',
    }),
    grants: z
      .array(z.object({ resource_server: reference('ResourceServer'), scopes: z.array(z.string()) }))
      .meta({ description: 'Its direct grants (`spec.grants`).' }),
    roles: z.array(reference('Role')).meta({ description: 'The Roles it has (`spec.roles`).' }),
    created_at: objectFields.created_at,
    ready: objectFields.ready,
    conditions: objectFields.conditions,
  })
  .meta({ description: 'An OAuthClient, in the field names of Auth0’s management API.' });

export const resourceServerViewSchema = z
  .object({
    id: reference('ResourceServer').meta({
      description:
        'The ResourceServer as `namespace/name`: what reads it, URL-encoded (`team-a%2Fpayments`).',
    }),
    namespace: objectFields.namespace,
    name: objectFields.name,
    identifier: api.identifier,
    display_name: api.displayName,
    scopes: z
      .array(z.object({ value: z.string(), description: z.string().optional() }))
      .meta({ description: 'The scopes it declares (`spec.scopes`), in Auth0’s shape.' }),
    token_lifetime: described('How long its access tokens are valid (`spec.accessToken.lifetime`).'),
    signing_alg: api.accessToken.unwrap().shape.signingAlgorithm.unwrap(),
    created_at: objectFields.created_at,
    ready: objectFields.ready,
    conditions: objectFields.conditions,
  })
  .meta({
    id: 'ResourceServer',
    description: 'A ResourceServer, in the field names of Auth0’s management API.',
  });

const role = roleSpec.shape;
const rule = personRuleFields;

export const roleViewSchema = z
  .object({
    id: reference('Role').meta({
      description: 'The Role as `namespace/name`: what reads it, URL-encoded (`team-a%2Fpayments-writer`).',
    }),
    namespace: objectFields.namespace,
    name: objectFields.name,
    description: role.description,
    permissions: z
      .array(z.object({ resource_server: reference('ResourceServer'), scopes: z.array(z.string()) }))
      .meta({ description: 'What the Role grants (`spec.permissions`).' }),
    subjects: z
      .array(
        z.object({
          connection: reference('Connection').optional(),
          group: rule.group,
          email_domain: rule.emailDomain,
          user_id: rule.userId,
        }),
      )
      .meta({ description: role.subjects.description ?? '' }),
    created_at: objectFields.created_at,
    ready: objectFields.ready,
    conditions: objectFields.conditions,
  })
  .meta({
    description: 'A Role: scopes on ResourceServers, for the clients that list it and the people it names.',
  });

/** A resource narrowed by `fields`: any of its fields, each as the resource has it. */
export function projectionOf(schema: ViewSchema): z.ZodType {
  return schema
    .partial()
    .meta({ description: `${schema.description ?? ''} Only the fields named by \`fields\`.` });
}

/** The schema of any resource. */
export type ViewSchema = typeof clientViewSchema | typeof resourceServerViewSchema | typeof roleViewSchema;

export type ClientView = z.output<typeof clientViewSchema>;
export type RoleView = z.output<typeof roleViewSchema>;
export type ResourceServerView = z.output<typeof resourceServerViewSchema>;
/** What every view has. */
export type ObjectFields = Pick<ClientView, 'namespace' | 'name' | 'created_at' | 'ready' | 'conditions'>;

/** The field order of each view: what `fields` may name and the order items carry them. */
export const CLIENT_FIELDS = Object.keys(clientViewSchema.shape) as (keyof ClientView)[];
export const ROLE_FIELDS = Object.keys(roleViewSchema.shape) as (keyof RoleView)[];
export const RESOURCE_SERVER_FIELDS = Object.keys(
  resourceServerViewSchema.shape,
) as (keyof ResourceServerView)[];
