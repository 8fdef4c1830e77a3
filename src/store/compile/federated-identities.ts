import type { OAuthClientSpec } from '../../api/oauth-client.ts';
import { federatedSubjectRefusal } from '../federated-subjects.ts';
import type { DeclaredConnection } from '../objects.ts';
import { secretKey } from '../objects.ts';
import type { Problem } from '../reasons.ts';
import type { FederatedIdentity } from '../snapshot.ts';
import { resolveRef, type OptIn, type RefTargets } from './resolve-ref.ts';

/** The declared Connections as reference targets, by `namespace/name`: the first declaration of a name. */
export function connectionTargets(declared: readonly DeclaredConnection[]): RefTargets<DeclaredConnection> {
  const byKey = new Map<string, DeclaredConnection>();
  for (const c of declared) {
    const key = secretKey(c.metadata.namespace, c.metadata.name);
    if (!byKey.has(key)) byKey.set(key, c);
  }
  return { kind: 'Connection', get: (key) => byKey.get(key), referable: (c) => c, mayBeNotReady: false };
}

/**
 * A client's `spec.federatedIdentities` whose Connection resolves and whose subject the client's namespace may
 * federate (../federated-subjects.ts); the others add problems.
 */
export function federatedIdentitiesOf(
  spec: OAuthClientSpec,
  namespace: string,
  connections: RefTargets<DeclaredConnection>,
  optIn: OptIn,
  problems: Problem[],
): FederatedIdentity[] {
  const identities: FederatedIdentity[] = [];
  (spec.federatedIdentities ?? []).forEach((identity, i) => {
    const where = `spec.federatedIdentities[${i}]`;
    const target = resolveRef(identity.connection, { namespace, where, optIn, problems }, connections);
    if (target === undefined) return;
    const refused = federatedSubjectRefusal(target.spec.type, identity.subject, namespace, where);
    if (refused) problems.push(refused);
    else
      identities.push({
        connection: secretKey(target.metadata.namespace, target.metadata.name),
        subject: identity.subject,
      });
  });
  return identities;
}
