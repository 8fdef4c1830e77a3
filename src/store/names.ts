import { createHash } from 'node:crypto';
import type { DeclaredOAuthClient } from './objects.ts';

/**
 * The names Latchkey derives from declared objects: what a workload, a status or a token carries. Every
 * replica and cluster derives the same, so none of them is stored.
 */

/** The default client id: readable, unique (namespaces hold no dots) and stable across clusters. */
export function defaultClientId(namespace: string, name: string): string {
  return `${name}.${namespace}`;
}

/** The `org_id` of an Organization: derived from its namespace and name, so every replica and cluster agrees. */
export function organizationId(namespace: string, name: string): string {
  return `org_${createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, 16)}`;
}

/** The name of the Secret that holds a client's credentials: `spec.secret.name`, by default `<name>-oauth`. */
export function secretNameOf(client: DeclaredOAuthClient): string {
  return client.spec.secret.name ?? `${client.metadata.name}-oauth`;
}
