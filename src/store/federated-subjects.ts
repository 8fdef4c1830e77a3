import type { ConnectionSpec } from '../api/connection.ts';
import { Reason, type ReasonName } from './reasons.ts';

// The `sub` of a projected ServiceAccount token: system:serviceaccount:<namespace>:<name>.
const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;

/**
 * Whether a client of `clientNamespace` may list `subject` of a Connection of `type` among its
 * `federatedIdentities` (issue 9, item 7); the reason why not, or undefined.
 *
 * A ServiceAccount belongs to its namespace, and so do the tokens the cluster issues to it: a subject of a
 * `kubernetes` Connection is a federated identity only of clients in the ServiceAccount's own namespace. So
 * no other namespace can federate a team's workload, and no other namespace's manifest can make the team's
 * request without `client_id` ambiguous. Other issuers' subjects (a CI system's repository and branch) belong
 * to no namespace; which namespace a request without `client_id` reaches is decided by the claim order
 * (src/server/grants/federated-client.ts).
 *
 * @example
 * federatedSubjectProblem('kubernetes', 'system:serviceaccount:billing:worker', 'apps'); // "… namespace billing …"
 */
export function federatedSubjectProblem(
  type: ConnectionSpec['type'],
  subject: string,
  clientNamespace: string,
): string | undefined {
  if (type !== 'kubernetes') return undefined;
  const match = SERVICE_ACCOUNT.exec(subject);
  if (match === null) {
    return `subject '${subject}' is not a ServiceAccount: the cluster's tokens name system:serviceaccount:<namespace>:<name>`;
  }
  const namespace = match[1] as string;
  if (namespace === clientNamespace) return undefined;
  return `subject '${subject}' is a ServiceAccount of namespace ${namespace}: a client of namespace ${clientNamespace} may federate only ServiceAccounts of its own namespace (move the OAuthClient to namespace ${namespace})`;
}

/** {@link federatedSubjectProblem} as a problem of the client's field at `where`. */
export function federatedSubjectRefusal(
  type: ConnectionSpec['type'],
  subject: string,
  clientNamespace: string,
  where: string,
): { reason: ReasonName; message: string } | undefined {
  const problem = federatedSubjectProblem(type, subject, clientNamespace);
  return problem === undefined
    ? undefined
    : { reason: Reason.ReferenceNotAllowed, message: `${where}: ${problem}` };
}
