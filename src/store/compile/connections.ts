import { parseClientKey, type ClientKey } from '../client-keys.ts';
import { declaredIssuer, ISSUER_TYPES } from '../../api/connection.ts';
import type { ConnectionCheck, DeclaredConnection, SecretData, WorldInputs } from '../objects.ts';
import { objectKey, secretKey } from '../objects.ts';
import type { CompiledConnection } from '../snapshot.ts';
import { issuerCondition, resolutionOf, type Resolved } from './conditions.ts';
import { signInDecision } from './connection-sign-in.ts';

/** The Connections compiled, with their resolutions: they depend on the base inputs alone. */
export interface CompiledConnections {
  connections: Map<string, CompiledConnection>;
  connectionsByIssuer: Map<string, CompiledConnection[]>;
  resolved: Resolved[];
}

/** What Connections compile from besides their declarations. */
export interface ConnectionInputs {
  checks: ReadonlyMap<string, ConnectionCheck> | undefined;
  unchecked?: WorldInputs['uncheckedIssuer'];
  /** Where `clientSecretRef` is read. */
  secrets: ReadonlyMap<string, SecretData>;
  /** Whether `test` Connections sign people in (WorldInputs.allowTestConnections). */
  allowTest: boolean;
}

/**
 * The Connections, with the keys of each one's last passing issuer check (types with an issuer) and how people
 * sign in through them (./connection-sign-in.ts).
 */
export function compileConnections(
  declared: readonly DeclaredConnection[],
  inputs: ConnectionInputs,
): CompiledConnections {
  const { checks, unchecked = {} } = inputs;
  const connections = new Map<string, CompiledConnection>();
  const connectionsByIssuer = new Map<string, CompiledConnection[]>();
  const resolved: Resolved[] = [];
  for (const decl of declared) {
    const { namespace, name } = decl.metadata;
    const check = checks?.get(secretKey(namespace, name));
    const found = check?.ok === true ? check : check?.lastGood;
    // The keys of the last passing check; a key that does not parse is skipped like one of a jwksUri.
    const connectionKeys: ClientKey[] = [];
    for (const jwk of found?.jwks ?? []) {
      const parsed = parseClientKey(jwk);
      if (parsed.ok) connectionKeys.push(parsed.key);
    }
    const issuer = found?.issuer ?? declaredIssuer(decl.spec);
    const signIn = signInDecision(decl, inputs.secrets, inputs.allowTest);
    const connection: CompiledConnection = {
      namespace,
      name,
      type: decl.spec.type,
      ...(issuer !== undefined ? { issuer } : {}),
      keys: connectionKeys,
      ...(signIn.signIn !== undefined ? { signIn: signIn.signIn } : {}),
    };
    connections.set(secretKey(namespace, name), connection);
    if (found !== undefined && connectionKeys.length > 0) {
      connectionsByIssuer.set(found.issuer, [...(connectionsByIssuer.get(found.issuer) ?? []), connection]);
    }
    const extra = check?.ok === true ? { issuer: check.issuer, jwksUri: check.jwksUri } : {};
    resolved.push({
      objectKey: objectKey('Connection', namespace, name),
      // A missing Secret first: Ready is False for it, where an issuer not checked yet is only Unknown.
      resolution: resolutionOf(decl, signIn.problems, extra, [
        ...signIn.conditions,
        ...(ISSUER_TYPES.has(decl.spec.type) ? [issuerCondition(check, unchecked[decl.spec.type])] : []),
      ]),
    });
  }
  return { connections, connectionsByIssuer, resolved };
}
