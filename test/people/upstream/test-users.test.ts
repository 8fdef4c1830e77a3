import { describe, expect, it } from 'vitest';

import { verifyTestUser } from '../../../src/people/upstream/test-users.ts';
import type { CompiledConnection, ConnectionSignIn } from '../../../src/store/snapshot.ts';
import { PEOPLE, testConnection } from '../harness.ts';

const connection = testConnection as CompiledConnection & { signIn: ConnectionSignIn };

describe('test Connection users', () => {
  it('accepts a declared person with the declared password, as amr pwd', () => {
    expect(verifyTestUser(connection, 'alice', PEOPLE.alice.password)).toEqual({
      connection: 'people/test-people',
      subject: 'alice',
      email: 'alice@example.com',
      emailVerified: true,
      name: 'Alice Example',
      username: 'alice',
      groups: ['admins'],
      amr: ['pwd'],
    });
  });

  it.each([
    ['a wrong password', 'alice', PEOPLE.bob.password],
    ['an empty password', 'alice', ''],
    ['an unknown name', 'mallory', PEOPLE.alice.password],
    ['a name differing in case', 'Alice', PEOPLE.alice.password],
    ['the password with a trailing space', 'alice', `${PEOPLE.alice.password} `],
    ['__proto__ as the name', '__proto__', ''],
    ['an empty name', '', ''],
  ])('refuses %s', (_, username, password) => {
    expect(verifyTestUser(connection, username, password)).toBeUndefined();
  });

  it('refuses everyone when no people are declared', () => {
    const empty = { ...connection, signIn: { ...connection.signIn, testUsers: [] } };
    expect(verifyTestUser(empty, 'alice', PEOPLE.alice.password)).toBeUndefined();
  });
});
