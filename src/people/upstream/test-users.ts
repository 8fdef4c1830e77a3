import { createHash, timingSafeEqual } from 'node:crypto';

import type { ConnectionSignIn, CompiledConnection } from '../../store/snapshot.ts';
import type { UpstreamIdentity } from './upstream.ts';

/**
 * Checks a name and password against the people declared in a `test` Connection (`latchkey dev` only).
 * Both the known and the unknown-name paths compare a SHA-256 digest in constant time, so timing does not tell
 * which names exist.
 *
 * @example
 * const person = verifyTestUser(connection, 'alice', 'wonderland');
 * if (!person) showLoginAgain();
 * @returns the person with `amr: ['pwd']` (RFC 8176 §2), or undefined when the name or password is wrong
 */
export function verifyTestUser(
  connection: Pick<CompiledConnection, 'namespace' | 'name'> & { signIn: ConnectionSignIn },
  username: string,
  password: string,
): UpstreamIdentity | undefined {
  const { signIn } = connection;
  const presented = createHash('sha256').update(password, 'utf8').digest();
  const user = signIn.testUsers.find((candidate) => candidate.username === username);
  const expected =
    user?.passwordDigest.length === presented.length ? user.passwordDigest : UNKNOWN_USER_DIGEST;
  const matches = timingSafeEqual(presented, expected);
  if (!user || !matches) return undefined;
  return {
    connection: `${connection.namespace}/${connection.name}`,
    subject: user.username,
    ...(user.email === undefined ? {} : { email: user.email }),
    emailVerified: user.emailVerified,
    ...(user.name === undefined ? {} : { name: user.name }),
    username: user.username,
    groups: user.groups,
    amr: ['pwd'],
  };
}

/** Compared against when the name is unknown, so that path costs the same as a wrong password. */
const UNKNOWN_USER_DIGEST = createHash('sha256').update('\0unknown test user\0').digest();
