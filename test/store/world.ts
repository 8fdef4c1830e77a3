import { oauthClientSpec } from '../../src/api/oauth-client.ts';
import { organizationSpec } from '../../src/api/organization.ts';
import { resourceServerSpec } from '../../src/api/resource-server.ts';
import { roleSpec } from '../../src/api/role.ts';
import { connectionSpec } from '../../src/api/connection.ts';
import type { DeclaredObject, SecretData, WorldInputs } from '../../src/store/objects.ts';

/** Builds declared objects the way a manifest loader would: specs parsed by their schemas, defaults applied. */
export const declare = {
  api: (ns: string, name: string, spec: unknown, created = ''): DeclaredObject => ({
    kind: 'ResourceServer',
    metadata: { namespace: ns, name, creationTimestamp: created, generation: 1 },
    spec: resourceServerSpec.parse(spec),
  }),
  role: (ns: string, name: string, spec: unknown): DeclaredObject => ({
    kind: 'Role',
    metadata: { namespace: ns, name, generation: 1 },
    spec: roleSpec.parse(spec),
  }),
  client: (ns: string, name: string, spec: unknown, created = ''): DeclaredObject => ({
    kind: 'OAuthClient',
    metadata: { namespace: ns, name, creationTimestamp: created, generation: 2 },
    spec: oauthClientSpec.parse(spec),
  }),
  org: (ns: string, name: string, spec: unknown): DeclaredObject => ({
    kind: 'Organization',
    metadata: { namespace: ns, name, generation: 1 },
    spec: organizationSpec.parse(spec),
  }),
  connection: (ns: string, name: string, spec: unknown): DeclaredObject => ({
    kind: 'Connection',
    metadata: { namespace: ns, name, generation: 1 },
    spec: connectionSpec.parse(spec),
  }),
};

export function secret(ns: string, name: string, data: Record<string, string>): SecretData {
  return { namespace: ns, name, data };
}

export function world(
  objects: DeclaredObject[],
  secrets: SecretData[] = [],
  namespaces: Record<string, Record<string, string>> = {},
): WorldInputs {
  return {
    objects,
    secrets: new Map(secrets.map((s) => [`${s.namespace}/${s.name}`, s])),
    namespaces: new Map(Object.entries(namespaces)),
  };
}
