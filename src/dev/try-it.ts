/**
 * The `try:` part of dev mode's ready line: a curl command a person can paste to get a first token.
 */
import { relative } from 'node:path';
import type { DeclaredOAuthClient } from '../store/objects.ts';
import { defaultClientId } from '../store/names.ts';
import type { Snapshot } from '../store/snapshot.ts';

/** A curl command that gets a token for one ready client, reading its secret from the state folder (never printing it). */
export function tryItCommand(
  snapshot: Snapshot,
  state: { secretPath(ns: string, name: string): string },
  clients: readonly DeclaredOAuthClient[],
  tokenEndpoint: string,
): string | undefined {
  const candidates = clients
    .map((c) => ({
      decl: c,
      compiled: snapshot.clients.get(
        c.spec.clientId ?? defaultClientId(c.metadata.namespace, c.metadata.name),
      ),
    }))
    .filter(
      (c) =>
        c.compiled !== undefined &&
        c.compiled.permissions.size > 0 &&
        c.decl.spec.secret.source === 'Generate' &&
        // curl can send a secret but not sign an assertion: only client_secret_basic/post clients qualify.
        c.compiled.secretDigests.length > 0 &&
        // A client that must name an organization would need more than the printed command.
        c.decl.spec.organizationUsage !== 'require',
    )
    .sort((a, b) => (a.compiled?.permissions.size ?? 0) - (b.compiled?.permissions.size ?? 0));
  const pick = candidates[0];
  if (!pick?.compiled) return undefined;
  const { decl, compiled } = pick;
  const path = relative(
    process.cwd(),
    state.secretPath(decl.metadata.namespace, decl.spec.secret.name ?? `${decl.metadata.name}-oauth`),
  );
  const key = decl.spec.secret.keys.clientSecret;
  const audience = compiled.permissions.size > 1 ? ` -d audience=${[...compiled.permissions.keys()][0]}` : '';
  return `curl -s -d client_id=${compiled.clientId} -d client_secret="$(sed -n 's/^  ${key}: //p' ${path} | base64 -d)" -d grant_type=client_credentials${audience} ${tokenEndpoint}`;
}
