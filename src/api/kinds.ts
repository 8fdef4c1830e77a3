import type { z } from 'zod';
import { connectionSpec, connectionStatus } from './connection.ts';
import { oauthClientSpec, oauthClientStatus } from './oauth-client.ts';
import { organizationSpec, organizationStatus } from './organization.ts';
import { resourceServerSpec, resourceServerStatus } from './resource-server.ts';
import { roleSpec, roleStatus } from './role.ts';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'date' | 'boolean';
  jsonPath: string;
  description: string;
  priority?: number;
}

export interface KindDefinition<
  Spec extends z.ZodType = z.ZodType,
  Status extends z.ZodType = z.ZodType,
  K extends string = string,
> {
  kind: K;
  plural: string;
  singular: string;
  shortNames: string[];
  description: string;
  spec: Spec;
  status: Status;
  printerColumns: PrinterColumn[];
}

const ready: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: 'Whether the object is in effect.',
};
const reason: PrinterColumn = {
  name: 'Reason',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
  description: 'Why it is or is not ready.',
  priority: 1,
};
const age: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since creation.',
};

function define<Spec extends z.ZodType, Status extends z.ZodType, const K extends string>(
  d: KindDefinition<Spec, Status, K>,
): KindDefinition<Spec, Status, K> {
  return d;
}

export const resourceServerKind = define({
  kind: 'ResourceServer',
  plural: 'resourceservers',
  singular: 'resourceserver',
  shortNames: ['lkapi'],
  description:
    'An API whose access tokens Latchkey issues: its identifier (the `aud`), scopes and token settings.',
  spec: resourceServerSpec,
  status: resourceServerStatus,
  printerColumns: [
    {
      name: 'Identifier',
      type: 'string',
      jsonPath: '.spec.identifier',
      description: 'The audience of its tokens.',
    },
    ready,
    reason,
    age,
  ],
});

export const roleKind = define({
  kind: 'Role',
  plural: 'roles',
  singular: 'role',
  shortNames: ['lkrole'],
  description: 'A named set of permissions: scopes on ResourceServers.',
  spec: roleSpec,
  status: roleStatus,
  printerColumns: [ready, reason, age],
});

export const oauthClientKind = define({
  kind: 'OAuthClient',
  plural: 'oauthclients',
  singular: 'oauthclient',
  shortNames: ['lkclient'],
  description:
    'An application that gets tokens: grant types, authentication, permissions and where its Secret goes.',
  spec: oauthClientSpec,
  status: oauthClientStatus,
  printerColumns: [
    { name: 'Client ID', type: 'string', jsonPath: '.status.clientId', description: 'The OAuth client_id.' },
    ready,
    reason,
    age,
  ],
});

export const organizationKind = define({
  kind: 'Organization',
  plural: 'organizations',
  singular: 'organization',
  shortNames: ['lkorg'],
  description: 'A tenant or customer: which clients may act for it (tokens carry `org_id`).',
  spec: organizationSpec,
  status: organizationStatus,
  printerColumns: [
    { name: 'Org ID', type: 'string', jsonPath: '.status.organizationId', description: 'The org_id claim.' },
    ready,
    reason,
    age,
  ],
});

export const connectionKind = define({
  kind: 'Connection',
  plural: 'connections',
  singular: 'connection',
  shortNames: ['lkconn'],
  description: 'A trusted external identity source: an upstream OpenID Connect provider or a token issuer.',
  spec: connectionSpec,
  status: connectionStatus,
  printerColumns: [
    {
      name: 'Type',
      type: 'string',
      jsonPath: '.spec.type',
      description: 'kubernetes, oidc, github, google or test.',
    },
    ready,
    reason,
    age,
  ],
});

export const KINDS = [
  resourceServerKind,
  roleKind,
  oauthClientKind,
  organizationKind,
  connectionKind,
] as const;
export type KindName = (typeof KINDS)[number]['kind'];
export const KIND_NAMES: readonly KindName[] = KINDS.map((k) => k.kind);

export function kindDefinition(kind: string): KindDefinition | undefined {
  return KINDS.find((k) => k.kind === kind);
}
