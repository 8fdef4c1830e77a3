import { TEST_CONNECTION_REFUSED } from '../store/compile/connection-sign-in.ts';
import type { DeclaredObject } from '../store/objects.ts';
import { Reason } from '../store/reasons.ts';
import type { ObjectProblem } from './resolution-problems.ts';

/**
 * What only `latchkey dev` accepts: a `test` Connection, whose passwords sit in plain text in the manifests.
 * Offline the files may be meant for dev mode (the examples are) or for a cluster, so this is a warning, not
 * an error: the operator marks such a Connection `TestConnectionNotAllowed`, and validate says so in advance.
 */
export function devOnlyProblem(object: DeclaredObject): ObjectProblem | undefined {
  if (object.kind !== 'Connection' || object.spec.type !== 'test') return undefined;
  return {
    field: 'spec.type',
    message: `${TEST_CONNECTION_REFUSED}; the operator refuses it (${Reason.TestConnectionNotAllowed})`,
    severity: 'warning',
  };
}
