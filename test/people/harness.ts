import { createHash } from 'node:crypto';
import { EventBus, type LatchkeyEvents } from '../../src/events.ts';
import type { SigningKeys } from '../../src/keys/signing-keys.ts';
import type { AddressPolicy } from '../../src/outbound/address-policy.ts';
import type { UserCodeLimits } from '../../src/people/device/user-code-throttle.ts';
import type { PendingLimits } from '../../src/people/pending.ts';
import type { SignInLimits } from '../../src/people/throttle.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { openEmbeddedState } from '../../src/state/embedded/embedded-state.ts';
import type { RuntimeState } from '../../src/state/runtime-state.ts';
import type {
  CompiledClient,
  CompiledConnection,
  CompiledPeopleClient,
  ConnectionSignIn,
  Snapshot,
  TestUser,
} from '../../src/store/snapshot.ts';
import { NOW_MS, payments, testKeys } from '../http/harness.ts';
import { LATCHKEY_AT_IDP } from '../support/oidc-upstream.ts';
import { client, FixedSource, grant, snapshot, type ClientInput } from '../http/world.ts';

/**
 * The shared harness of the people sign-in tests (issue 12): the real servers on 127.0.0.1, a people world
 * (a web client, a SPA, a native CLI, a third-party app and a `test` Connection with two people) and runtime
 * state in an in-memory embedded store. Tests add Connections or clients by replacing `source.snapshot`.
 */

export const WEB_SECRET = 'secret-web-app-8Hk2';
export const THIRD_PARTY_SECRET = 'secret-third-party-5Rt9';

/** The declared test users and their passwords. */
export const PEOPLE = {
  alice: {
    password: 'alice-password-1',
    email: 'alice@example.com',
    name: 'Alice Example',
    groups: ['admins'],
  },
  bob: { password: 'bob-password-2', email: 'bob@example.com', name: 'Bob Example', groups: [] },
} as const;

export function testUser(username: keyof typeof PEOPLE): TestUser {
  const p = PEOPLE[username];
  return {
    username,
    passwordDigest: createHash('sha256').update(p.password).digest(),
    email: p.email,
    emailVerified: true,
    name: p.name,
    groups: [...p.groups],
  };
}

export function signIn(overrides: Partial<ConnectionSignIn> = {}): ConnectionSignIn {
  return {
    displayName: 'Test people',
    scopes: [],
    claims: {
      userId: 'sub',
      email: 'email',
      emailVerified: 'email_verified',
      name: 'name',
      username: 'preferred_username',
      groups: 'groups',
    },
    userMatchingMode: 'identifier',
    trustEmail: false,
    hostedDomains: [],
    allowedOrganizations: [],
    testUsers: [],
    ...overrides,
  };
}

/** The `test` Connection `people/test-people` with alice and bob. */
export const testConnection: CompiledConnection = {
  namespace: 'people',
  name: 'test-people',
  type: 'test',
  keys: [],
  signIn: signIn({ testUsers: [testUser('alice'), testUser('bob')] }),
};

/** The `oidc` Connection `corp/company-idp` to the company IdP of test/support/oidc-upstream.ts at `issuer`. */
export function companyConnection(
  issuer: string,
  overrides: Partial<ConnectionSignIn> = {},
): CompiledConnection & { signIn: ConnectionSignIn } {
  return {
    namespace: 'corp',
    name: 'company-idp',
    type: 'oidc',
    issuer,
    keys: [],
    signIn: signIn({ displayName: 'Company IdP', ...LATCHKEY_AT_IDP, ...overrides }),
  };
}

export function peopleSettings(overrides: Partial<CompiledPeopleClient> = {}): CompiledPeopleClient {
  return {
    appType: 'web',
    displayName: 'Web app',
    redirectUris: ['https://app.example.com/callback'],
    postLogoutRedirectUris: ['https://app.example.com/signed-out'],
    allowedOrigins: [],
    connections: ['people/test-people'],
    firstParty: true,
    requirePushedAuthorizationRequests: false,
    idTokenLifetimeSeconds: 3600,
    refreshToken: { idleSeconds: 14 * 86400, absoluteSeconds: 30 * 86400, reuseGraceSeconds: 10 },
    ...overrides,
  };
}

export function peopleClient(input: ClientInput, people: Partial<CompiledPeopleClient> = {}): CompiledClient {
  return {
    ...client({ grantTypes: ['authorization_code', 'refresh_token'], ...input }),
    people: peopleSettings(people),
  };
}

/** The people world: clients by id. */
export function peopleWorld(
  keys: SigningKeys,
  extra: { clients?: CompiledClient[]; connections?: CompiledConnection[] } = {},
): Snapshot {
  return snapshot(keys, {
    apis: [payments],
    connections: [testConnection, ...(extra.connections ?? [])],
    clients: [
      peopleClient({
        clientId: 'web-app.people',
        secrets: [WEB_SECRET],
        grants: [grant(payments, ['payments:read'])],
      }),
      peopleClient(
        { clientId: 'spa.people', authMethod: 'none' },
        {
          appType: 'spa',
          displayName: 'Single-page app',
          redirectUris: ['https://spa.example.com/cb'],
          allowedOrigins: ['https://spa.example.com'],
        },
      ),
      peopleClient(
        { clientId: 'cli.people', authMethod: 'none' },
        { appType: 'native', displayName: 'A CLI', redirectUris: ['http://127.0.0.1/callback'] },
      ),
      peopleClient(
        { clientId: 'third-party.people', secrets: [THIRD_PARTY_SECRET] },
        { displayName: 'Third-party app', firstParty: false, redirectUris: ['https://other.example.net/cb'] },
      ),
      client({ clientId: 'machine.people', secrets: ['machine-secret-1'], grants: [grant(payments)] }),
      ...(extra.clients ?? []),
    ],
  });
}

export interface PeopleHarness {
  servers: RunningServers;
  /** The issuer, `http://127.0.0.1:<port>`. */
  issuer: string;
  source: FixedSource;
  keys: SigningKeys;
  state: RuntimeState;
  events: EventBus;
  /** A clock tests may move; starts at {@link NOW_MS}. */
  clock: { now: number };
  /** Events of this name from the first call on: call it before the action under test. */
  seen<E extends keyof LatchkeyEvents>(name: E): LatchkeyEvents[E][];
  close(): Promise<void>;
}

/**
 * Starts the servers with the people world on an in-memory embedded store. `now: 'real'` uses the wall clock
 * (for tests with real upstreams, browsers and openid-client, which check times against their own clocks).
 */
export async function startPeopleHarness(
  options: {
    now?: 'real' | 'frozen';
    /** Which upstream hosts Connections may reach; loopback needs it (a company IdP started by the test). */
    addressPolicy?: AddressPolicy;
    /** Small limits make a flood from one address quick to write. */
    pendingLimits?: PendingLimits;
    /** Failed sign-ins allowed per person and per address, as `--sign-in-failures-*` set them. */
    signInLimits?: SignInLimits;
    /** Wrong device codes allowed per browser and per address. */
    userCodeLimits?: UserCodeLimits;
  } = {},
): Promise<PeopleHarness> {
  const keys = await testKeys();
  const source = new FixedSource(peopleWorld(keys));
  const clock = { now: NOW_MS };
  const now = options.now === 'real' ? () => Date.now() : () => clock.now;
  const events = new EventBus();
  const recorded = new Map<string, unknown[]>();
  const state = await openEmbeddedState({ path: ':memory:', clock: now });
  const servers = await startServers({
    source,
    port: 0,
    opsPort: 0,
    now,
    events,
    ready: () => true,
    state,
    ...(options.addressPolicy === undefined ? {} : { addressPolicy: options.addressPolicy }),
    ...(options.pendingLimits === undefined ? {} : { pendingLimits: options.pendingLimits }),
    ...(options.signInLimits === undefined ? {} : { signInLimits: options.signInLimits }),
    ...(options.userCodeLimits === undefined ? {} : { userCodeLimits: options.userCodeLimits }),
  });
  return {
    servers,
    issuer: servers.issuer,
    source,
    keys,
    state,
    events,
    clock,
    seen<E extends keyof LatchkeyEvents>(name: E): LatchkeyEvents[E][] {
      let list = recorded.get(name);
      if (list === undefined) {
        list = [];
        recorded.set(name, list);
        events.on(name, (e) => list?.push(e));
      }
      return list as LatchkeyEvents[E][];
    },
    async close() {
      await servers.close();
      await state.close();
    },
  };
}
