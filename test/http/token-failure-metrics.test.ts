/**
 * `latchkey_token_failures_total` through the real server: each refusal counted under its reason (the error
 * code and a cause from a closed set) and a client label that only clients in effect get (issue 16, item 4).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRETS, basic, form, post, startHarness, type Harness } from './harness.ts';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** Every series of `latchkey_token_failures_total` as `reason client` → count. */
async function failures(): Promise<Record<string, number>> {
  const text = await (await fetch(`${h.opsUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^latchkey_token_failures_total\{(.*)\} (\d+)$/.exec(line);
    if (m === null) continue;
    const labels = Object.fromEntries(
      [...(m[1] as string).matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]),
    );
    out[`${labels['reason']} ${labels['client']}`] = Number(m[2]);
  }
  return out;
}

const token = (body: string, headers: Record<string, string> = {}) =>
  post(h.servers.tokenEndpoint, body, headers);
const CC = 'grant_type=client_credentials';

describe('latchkey_token_failures_total{reason,client}', () => {
  it('counts each refusal under its reason, naming only clients in effect', async () => {
    const made = Array.from({ length: 20 }, (_, i) => `made-up-${i}.nowhere`);
    for (const id of made) await token(CC, { authorization: basic(id, 'whatever') });
    await token(CC, { authorization: basic('billing-worker.billing', 'wrong') });
    await token(CC, { authorization: basic('billing-worker.billing', 'wrong') });
    await token(CC);
    await token(form({ grant_type: 'client_credentials', client_id: 'billing-worker.billing' }));
    await token(`${CC}&scope=payments:admin`, {
      authorization: basic('billing-worker.billing', SECRETS['billing-worker.billing']),
    });
    await token(`${CC}&audience=https://hr.internal`, {
      authorization: basic('billing-worker.billing', SECRETS['billing-worker.billing']),
    });
    await token(CC, { authorization: basic('multi.platform', SECRETS['multi.platform']) });
    await token(CC, { authorization: basic('tenant-only.saas', SECRETS['tenant-only.saas']) });
    await token(CC, { authorization: basic('signer.platform', 'a-secret') });
    await token('grant_type=password', {
      authorization: basic('billing-worker.billing', SECRETS['billing-worker.billing']),
    });

    expect(await failures()).toEqual({
      'invalid_client/unknown_client unknown': 20,
      'invalid_client/bad_secret billing-worker.billing': 2,
      'invalid_client/missing_credentials unknown': 1,
      'invalid_client/missing_credentials billing-worker.billing': 1,
      'invalid_scope billing-worker.billing': 1,
      'invalid_target billing-worker.billing': 1,
      'invalid_request/audience_required multi.platform': 1,
      'invalid_request/organization tenant-only.saas': 1,
      'invalid_client/wrong_auth_method signer.platform': 1,
      'unsupported_grant_type billing-worker.billing': 1,
    });
  });
});
