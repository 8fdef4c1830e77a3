import { createRemoteJWKSet, customFetch, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSigningKeys } from '../../src/keys/generate.ts';
import { keySetAt, type KeyRecord } from '../../src/keys/lifecycle.ts';
import { decideRotation, type RotationSchedule } from '../../src/keys/signing-key-rotation.ts';
import { basic, form, NOW_S, payments, post, SECRETS, startHarness, world, type Harness } from './harness.ts';

const H = 3_600_000;
const schedule: RotationSchedule = { intervalMs: 30 * 24 * H, prePublishMs: 24 * H, clockSkewMs: 300_000 };
/** The operator's clock: the token server's is frozen, so tokens verify at any step of the rotation. */
const T0 = Date.parse('2026-03-01T00:00:00Z');

let h: Harness;
let keys: KeyRecord[];
beforeAll(async () => {
  h = await startHarness();
  keys = (await generateSigningKeys()).map((key) => ({
    key,
    createdAt: T0,
    activatesAt: T0,
    tokenLifetimeSeconds: 300,
  }));
});
afterAll(() => h.close());

/** What every replica does at a key's time: serve the key set in force at `now` from the stored keys. */
function inForceAt(now: number): void {
  h.source.snapshot = world(keySetAt(keys, now, schedule));
}

async function token(): Promise<string> {
  const clientId = 'billing-worker.billing';
  const res = await post(
    h.servers.tokenEndpoint,
    form({ grant_type: 'client_credentials', audience: payments.identifier }),
    {
      authorization: basic(clientId, SECRETS[clientId]),
    },
  );
  expect(res.status).toBe(200);
  return res.body['access_token'] as string;
}

describe('signing key rotation seen by a resource server with a cached JWKS', () => {
  it('keeps verifying through a rotation, because the next key was published before it signed', async () => {
    inForceAt(T0);
    const oldKid = keys.find((r) => r.key.alg === 'RS256')?.key.kid;
    let fetches = 0;
    // A resource server that fetches the JWKS once, during the pre-publish period (as a cache whose max-age is
    // shorter than that period must), and never again: not on a timer, not on an unknown kid.
    const jwks = createRemoteJWKSet(new URL(h.servers.jwksUri), {
      cacheMaxAge: Infinity,
      cooldownDuration: Infinity,
      [customFetch]: (...args: Parameters<typeof fetch>) => {
        fetches++;
        return fetch(...args);
      },
    });
    const verify = (jwt: string) =>
      jwtVerify(jwt, jwks, {
        issuer: h.servers.issuer,
        audience: payments.identifier,
        currentDate: new Date(NOW_S * 1000),
      });

    // The rotation falls due: the next key is published and every replica serves it, but the old one signs.
    const due = T0 + schedule.intervalMs - schedule.prePublishMs;
    const plan = decideRotation({
      now: due,
      ring: { keys, handled: {} },
      schedule,
      tokenLifetimeSeconds: 300,
      requests: {},
      spares: await generateSigningKeys(),
    });
    keys = [...(plan.ring?.keys ?? [])];
    const newKid = plan.published.find((kid) => keys.some((r) => r.key.kid === kid && r.key.alg === 'RS256'));
    inForceAt(due + 1000);
    const res = await fetch(h.servers.jwksUri);
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get('cache-control') ?? '')?.[1]);
    expect(maxAge * 1000).toBeLessThan(schedule.prePublishMs);
    const before = await token();
    expect(decodeProtectedHeader(before).kid).toBe(oldKid);
    await verify(before);
    expect(fetches).toBe(1);

    inForceAt(T0 + schedule.intervalMs);
    const after = await token();
    expect(decodeProtectedHeader(after).kid).toBe(newKid);
    await verify(after);
    await verify(before);
    expect(fetches).toBe(1);

    // Once the old key's tokens have expired it leaves the JWKS.
    inForceAt(T0 + schedule.intervalMs + 300_000 + schedule.clockSkewMs);
    const kids = ((await (await fetch(h.servers.jwksUri)).json()) as { keys: { kid: string }[] }).keys.map(
      (k) => k.kid,
    );
    expect(kids).toContain(newKid);
    expect(kids).not.toContain(oldKid);
  });

  it('serves the JWKS with the cache lifetime of the key set in force', async () => {
    h.source.snapshot = world(keySetAt(keys, T0, { prePublishMs: 60_000, clockSkewMs: 0 }));
    const res = await fetch(h.servers.jwksUri);
    expect(res.headers.get('cache-control')).toBe('public, max-age=6');
  });
});
