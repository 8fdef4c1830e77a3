import { resourceServerSpec } from '../../api/resource-server.ts';
import { MANAGEMENT_API_NAME, MANAGEMENT_SCOPES } from '../../management/scopes.ts';
import type { DeclaredResourceServer, WorldInputs } from '../objects.ts';

type ManagementApiInput = NonNullable<WorldInputs['managementApi']>;

// One declaration per input, so consecutive compiles see the same object and reuse what they compiled.
let last: { input: ManagementApiInput; decl: DeclaredResourceServer } | undefined;

/**
 * The built-in management API as a ResourceServer declaration, or undefined when the world has none
 * (offline validation, tests of the compiler). Every namespace may reference it: what a token reaches is
 * decided by the caller's namespace (src/management/reach.ts), not by the reference. Its claim comes before
 * every declared one (src/store/claims.ts): no creation time, the claim held, first in input order.
 */
export function managementApiDeclaration(
  input: WorldInputs['managementApi'],
): DeclaredResourceServer | undefined {
  if (input === undefined) return undefined;
  if (last?.input.namespace === input.namespace && last.input.identifier === input.identifier)
    return last.decl;
  const decl: DeclaredResourceServer = {
    kind: 'ResourceServer',
    metadata: { namespace: input.namespace, name: MANAGEMENT_API_NAME },
    spec: resourceServerSpec.parse({
      identifier: input.identifier,
      displayName: 'Latchkey management API',
      scopes: MANAGEMENT_SCOPES.map((name) => ({ name })),
      allowedNamespaces: {},
    }),
    claimHeld: true,
  };
  last = { input: { ...input }, decl };
  return decl;
}
