import { generateKeyPairSync, KeyObject } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeys, keySetOf } from '../../src/keys/generate.ts';
import type { SigningKeys } from '../../src/keys/signing-keys.ts';
import { compile, type Compiled } from '../../src/store/compile.ts';
import type { ConnectionCheck, DeclaredObject, SecretData, WorldInputs } from '../../src/store/objects.ts';
import { declare, secret } from './world.ts';

let keys: SigningKeys;
beforeAll(async () => {
  keys = keySetOf(await generateSigningKeys());
});

const PUBLIC_JWK = {
  ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
  kid: 'k1',
  alg: 'ES256',
};
const NAMESPACES = ['a', 'b', 'c'];
const NAMES = ['one', 'two', 'three', 'four'];
const SCOPES = ['read', 'write', 'admin'];
const TIMES = ['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z', '2026-01-03T00:00:00Z'];

/** A small seeded generator (mulberry32): every run explores the same worlds, so a failure reproduces. */
function random(seed: number) {
  let a = seed;
  const next = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const chance = (p: number) => next() < p;
  const some = <T>(items: readonly T[], max: number): T[] =>
    Array.from({ length: Math.floor(next() * (max + 1)) }, () => pick(items));
  return { next, pick, chance, some };
}
type Random = ReturnType<typeof random>;

/** A reference to an object of a small name pool, sometimes in another namespace. */
const ref = (r: Random) => ({
  name: r.pick(NAMES),
  ...(r.chance(0.3) ? { namespace: r.pick(NAMESPACES) } : {}),
});
const allowedNamespaces = (r: Random) =>
  r.chance(0.3) ? { allowedNamespaces: { matchLabels: { team: r.pick(['x', 'y']) } } } : {};

/** Any kind, with references that may resolve, miss, conflict or be refused by the opt-in. */
function declaredObject(r: Random): DeclaredObject {
  const o = declaredKind(r);
  // What breaks ties of creation time (src/store/claims.ts): a uid, and a status that says the name is held.
  if (!r.chance(0.3)) return o;
  return { ...o, metadata: { ...o.metadata, uid: r.pick(['u1', 'u2']) }, claimHeld: r.chance(0.5) };
}

function declaredKind(r: Random): DeclaredObject {
  const ns = r.pick(NAMESPACES);
  const name = r.pick(NAMES);
  switch (r.pick(['ResourceServer', 'Role', 'OAuthClient', 'OAuthClient', 'Organization', 'Connection'])) {
    case 'ResourceServer':
      return declare.api(
        ns,
        name,
        {
          identifier: `https://${r.pick(['orders', 'billing'])}.internal`,
          scopes: [...new Set(['read', ...r.some(SCOPES, 2)])].map((s) => ({ name: s })),
          accessToken: { lifetime: r.pick(['5m', '1h', '48h']) },
          ...(r.chance(0.3) ? { introspection: { clients: [ref(r)] } } : {}),
          ...allowedNamespaces(r),
        },
        r.pick(TIMES),
      );
    case 'Role':
      return declare.role(ns, name, {
        permissions: [{ resourceServer: ref(r), scopes: [...new Set(r.some(SCOPES, 2)), 'read'] }],
        ...allowedNamespaces(r),
      });
    case 'Organization':
      return declare.org(ns, name, {
        clients: Array.from({ length: 1 + Math.floor(r.next() * 2) }, () => ({
          client: ref(r),
          ...(r.chance(0.5) ? { roles: [ref(r)] } : {}),
        })),
        ...(r.chance(0.3) ? { connections: [ref(r)] } : {}),
      });
    case 'Connection':
      return declare.connection(ns, name, {
        type: 'oidc',
        issuer: `https://${name}.issuer.example`,
        ...allowedNamespaces(r),
      });
    default: {
      const method = r.pick([
        'client_secret_basic',
        'client_secret_post',
        'client_secret_jwt',
        'private_key_jwt',
      ] as const);
      return declare.client(
        ns,
        name,
        {
          // `one.b` has the default shape of namespace b: refused elsewhere (issue 9).
          ...(r.chance(0.2) ? { clientId: r.pick(['shared-a', 'shared-b', 'one.b', 'two.a']) } : {}),
          tokenEndpointAuthMethod: method,
          grants: r.chance(0.7) ? [{ resourceServer: ref(r), scopes: ['read', ...r.some(SCOPES, 1)] }] : [],
          roles: r.some(NAMES, 2).map((n) => ({ name: n })),
          ...(method === 'private_key_jwt'
            ? r.chance(0.5)
              ? { jwks: { keys: [PUBLIC_JWK] } }
              : { federatedIdentities: [{ connection: ref(r), subject: 'system:serviceaccount:a:w' }] }
            : {}),
          ...(r.chance(0.2) ? { secret: { source: 'Existing' } } : {}),
          ...allowedNamespaces(r),
        },
        r.pick(TIMES),
      );
    }
  }
}

function secretFor(r: Random, ns: string, name: string): SecretData {
  const value = r.pick(['x'.repeat(43), 'y'.repeat(43), 'short']);
  if (!r.chance(0.3)) return secret(ns, `${name}-oauth`, { client_secret: value });
  return {
    ...secret(ns, `${name}-oauth`, { client_secret: value, previous_client_secret: 'z'.repeat(43) }),
    annotations: {
      'latchkey.dev/secret-rotated-at': '2026-01-05T00:00:00Z',
      'latchkey.dev/previous-secret-valid-until': '2026-01-05T00:10:00Z',
    },
  };
}

function checkFor(r: Random, name: string): ConnectionCheck {
  const issuer = `https://${name}.issuer.example`;
  return r.chance(0.6)
    ? { ok: true, issuer, jwksUri: `${issuer}/keys`, keys: 1, jwks: [PUBLIC_JWK] }
    : { ok: false, message: 'connect ECONNREFUSED' };
}

/** Objects keyed by kind/namespace/name (as an informer holds them), and the cluster facts around them. */
interface World {
  objects: Map<string, DeclaredObject>;
  secrets: Map<string, SecretData>;
  namespaces: Map<string, Record<string, string>>;
  checks: Map<string, ConnectionCheck>;
}
const keyOf = (o: DeclaredObject) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;

function inputsOf(w: World): WorldInputs {
  return {
    objects: [...w.objects.values()],
    secrets: new Map(w.secrets),
    // A new record per namespace on every compile, as the operator builds them from its informer.
    namespaces: new Map([...w.namespaces].map(([ns, labels]) => [ns, { ...labels }])),
    connectionChecks: w.checks,
  };
}

/** One change of the kinds the operator sees: an object replaced (same or other spec), added or deleted, a Secret, labels, a check. */
function change(r: Random, w: World): void {
  const keys = [...w.objects.keys()];
  switch (r.pick(['replace', 'same', 'claim', 'add', 'delete', 'secret', 'labels', 'check'])) {
    case 'replace': {
      const o = declaredObject(r);
      w.objects.set(keyOf(o), o);
      break;
    }
    case 'same': {
      // An update that changes nothing the store reads (a status write): a new object, equal to the old one.
      const key = r.pick(keys);
      const o = key === undefined ? undefined : w.objects.get(key);
      if (o !== undefined) w.objects.set(key as string, structuredClone(o));
      break;
    }
    case 'claim': {
      // A status write that says the object holds its name now, or no longer: a new object, same spec.
      const key = r.pick(keys);
      const o = key === undefined ? undefined : w.objects.get(key);
      if (o !== undefined) w.objects.set(key as string, { ...o, claimHeld: o.claimHeld !== true });
      break;
    }
    case 'add': {
      const o = declaredObject(r);
      if (!w.objects.has(keyOf(o))) w.objects.set(keyOf(o), o);
      break;
    }
    case 'delete': {
      const key = r.pick(keys);
      if (key !== undefined) w.objects.delete(key);
      break;
    }
    case 'secret': {
      const ns = r.pick(NAMESPACES);
      const name = r.pick(NAMES);
      if (r.chance(0.2)) w.secrets.delete(`${ns}/${name}-oauth`);
      else w.secrets.set(`${ns}/${name}-oauth`, secretFor(r, ns, name));
      break;
    }
    case 'labels':
      w.namespaces.set(r.pick(NAMESPACES), { team: r.pick(['x', 'y', 'z']) });
      break;
    case 'check': {
      const ns = r.pick(NAMESPACES);
      const name = r.pick(NAMES);
      w.checks = new Map(w.checks).set(`${ns}/${name}`, checkFor(r, name));
      break;
    }
  }
}

/** A compile as plain data, in iteration order: keys are compared by their exported material. */
function plain(value: unknown): unknown {
  if (value instanceof KeyObject) {
    return value.type === 'secret'
      ? { secretKey: value.export().toString('hex') }
      : { [`${value.type}Key`]: value.export({ format: 'jwk' }) };
  }
  if (Buffer.isBuffer(value)) return { buffer: value.toString('hex') };
  if (value instanceof Map) return { map: [...value].map(([k, v]) => [plain(k), plain(v)]) };
  if (value instanceof Set) return { set: [...value].map(plain) };
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}
const result = (c: Compiled) => plain({ snapshot: c.snapshot, resolutions: c.resolutions });

describe('compile() given the previous compile', () => {
  it('gives exactly what a compile from scratch gives, through thousands of random changes', () => {
    let reused = 0;
    for (let seed = 1; seed <= 40; seed++) {
      const r = random(seed);
      const w: World = {
        objects: new Map(),
        secrets: new Map(),
        namespaces: new Map([['a', { team: 'x' }]]),
        checks: new Map(),
      };
      for (let i = 0; i < 12; i++) change(r, w);
      let previous: Compiled | undefined;
      for (let step = 0; step < 60; step++) {
        const inputs = inputsOf(w);
        const incremental = compile(inputs, keys, step, previous);
        const scratch = compile(inputs, keys, step);
        expect(result(incremental), `seed ${seed}, step ${step}`).toEqual(result(scratch));
        if (previous !== undefined) {
          for (const [id, client] of incremental.snapshot.clients)
            if (previous.snapshot.clients.get(id) === client) reused++;
        }
        previous = incremental;
        change(r, w);
      }
    }
    // The comparison above must have exercised reuse, not only compiles from scratch.
    expect(reused).toBeGreaterThan(500);
  });

  describe('reuses what did not change', () => {
    const api = declare.api('ns', 'orders', {
      identifier: 'https://orders.internal',
      scopes: [{ name: 'read' }],
    });
    const role = (name: string) =>
      declare.role('ns', name, { permissions: [{ resourceServer: { name: 'orders' }, scopes: ['read'] }] });
    const client = (name: string, roleName?: string) =>
      declare.client('ns', name, {
        grants: [{ resourceServer: { name: 'orders' }, scopes: ['read'] }],
        roles: roleName === undefined ? [] : [{ name: roleName }],
      });
    const N = 200;
    const objects = (): DeclaredObject[] => [
      api,
      role('shared'),
      ...Array.from({ length: N }, (_, i) => client(`c${i}`, i % 2 === 0 ? 'shared' : undefined)),
    ];
    const secrets = Array.from({ length: N }, (_, i) =>
      secret('ns', `c${i}-oauth`, { client_secret: 'x'.repeat(43) }),
    );
    const inputs = (list: DeclaredObject[], s = secrets): WorldInputs => ({
      objects: list,
      secrets: new Map(s.map((x) => [`${x.namespace}/${x.name}`, x])),
      namespaces: new Map(),
    });
    const unchanged = (before: Compiled, after: Compiled) =>
      [...after.snapshot.clients].filter(([id, c]) => before.snapshot.clients.get(id) === c).length;

    it('recompiles only the client whose spec or Secret changed', () => {
      const list = objects();
      const first = compile(inputs(list), keys, 1);
      list[5] = client('c3');
      const second = compile(inputs(list), keys, 2, first);
      expect(unchanged(first, second)).toBe(N - 1);
      expect(second.resolutions.get('OAuthClient/ns/c0')).toBe(first.resolutions.get('OAuthClient/ns/c0'));

      const rotated = secrets.map((s) =>
        s.name === 'c7-oauth' ? { ...s, data: { client_secret: 'y'.repeat(43) } } : s,
      );
      const third = compile(inputs(list, rotated), keys, 3, second);
      expect(unchanged(second, third)).toBe(N - 1);
      expect(third.snapshot.clients.get('c7.ns')?.secretDigests).not.toEqual(
        second.snapshot.clients.get('c7.ns')?.secretDigests,
      );
    });

    it('recompiles the clients of a changed Role, and everyone when a ResourceServer changes', () => {
      const list = objects();
      const first = compile(inputs(list), keys, 1);
      list[1] = role('shared');
      const second = compile(inputs(list), keys, 2, first);
      expect(unchanged(first, second)).toBe(N / 2);

      list[0] = declare.api('ns', 'orders', {
        identifier: 'https://orders.internal',
        scopes: [{ name: 'read' }],
      });
      const third = compile(inputs(list), keys, 3, second);
      expect(unchanged(second, third)).toBe(0);
      expect(third.snapshot.apis.get('https://orders.internal')).not.toBe(
        second.snapshot.apis.get('https://orders.internal'),
      );
    });

    it('compiles a Connection again when what an unchecked one says changes', () => {
      const sso = declare.connection('ns', 'sso', { type: 'oidc', issuer: 'https://sso.example.com' });
      const first = compile({ ...inputs([sso]), uncheckedIssuer: { oidc: 'first words' } }, keys, 1);
      const same = compile({ ...inputs([sso]), uncheckedIssuer: { oidc: 'first words' } }, keys, 2, first);
      const other = compile({ ...inputs([sso]), uncheckedIssuer: { oidc: 'other words' } }, keys, 3, same);
      const message = (c: Compiled) => c.resolutions.get('Connection/ns/sso')?.conditions[0]?.message;
      expect([message(first), message(same), message(other)]).toEqual([
        'first words',
        'first words',
        'other words',
      ]);
    });

    it('gives a member of an Organization a copy with its organizations and leaves the reused client alone', () => {
      const list = objects();
      const first = compile(inputs(list), keys, 1);
      const org = declare.org('ns', 'acme', { clients: [{ client: { name: 'c1' } }] });
      const second = compile(inputs([...list, org]), keys, 2, first);
      expect(second.snapshot.clients.get('c1.ns')?.organizations.size).toBe(1);
      expect(first.snapshot.clients.get('c1.ns')?.organizations.size).toBe(0);
      const third = compile(inputs(list), keys, 3, second);
      expect(third.snapshot.clients.get('c1.ns')?.organizations.size).toBe(0);
    });
  });
});
