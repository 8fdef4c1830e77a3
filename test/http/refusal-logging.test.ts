/**
 * Issue 16, item 3: a refused request can be debugged from the log. Every refusal at the token, introspection
 * and revocation endpoints is one line with the endpoint, the error, the private reason and who asked, at a
 * level the default shows; no line ever holds a secret, an assertion, a token or an Authorization header.
 * The lines docs/troubleshooting.md shows are checked here against what a real server prints.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JSON_EXAMPLE,
  REFUSAL_SECTIONS,
  type ExampleRequest,
} from '../../scripts/troubleshooting-refusals.ts';
import { reportEvents } from '../../src/dev/reporter.ts';
import { EventBus } from '../../src/events.ts';
import type { LogLevel } from '../../src/log-level.ts';
import { createLogger, logEvents } from '../../src/log.ts';
import { startServers, type RunningServers } from '../../src/server/start.ts';
import { basic, form, NOW_MS, post, testKeys } from './harness.ts';
import { api, client, FixedSource, grant, snapshot } from './world.ts';

const ROOT = new URL('../../', import.meta.url).pathname;

// The world of docs/troubleshooting.md's examples (EXAMPLE_WORLD).
const payments = api(
  'payments',
  'RS256',
  ['payments:read', 'payments:write', 'payments:refund'],
  300,
  'payments',
);
const ledger = api('ledger', 'ES256', ['ledger:read'], 300, 'finance');
const hr = api('hr', 'RS256', ['hr:read'], 300, 'people');

const SECRETS: Record<string, string> = {
  'billing-worker.billing': randomBytes(32).toString('base64url'),
  'reporting.finance': randomBytes(32).toString('base64url'),
  'orphan.billing': randomBytes(32).toString('base64url'),
};
const WRONG = randomBytes(32).toString('base64url');

/** Everything written: JSON lines at info and debug, and dev mode's lines at info and debug. */
interface Logs {
  json: Record<LogLevel, string[]>;
  text: Record<LogLevel, string[]>;
}

function jsonSink(lines: string[]): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
}

let servers: RunningServers;
const logs: Logs = {
  json: { debug: [], info: [], warn: [], error: [] },
  text: { debug: [], info: [], warn: [], error: [] },
};

beforeAll(async () => {
  const source = new FixedSource(
    snapshot(await testKeys(), {
      apis: [payments, ledger, hr],
      clients: [
        client({
          clientId: 'billing-worker.billing',
          secrets: [SECRETS['billing-worker.billing'] as string],
          grants: [grant(payments, ['payments:read'])],
        }),
        client({ clientId: 'signer.billing', authMethod: 'private_key_jwt', grants: [grant(payments)] }),
        client({
          clientId: 'reporting.finance',
          secrets: [SECRETS['reporting.finance'] as string],
          grants: [grant(payments, ['payments:read']), grant(ledger)],
        }),
        client({ clientId: 'orphan.billing', secrets: [SECRETS['orphan.billing'] as string] }),
      ],
    }),
  );
  const events = new EventBus();
  for (const level of ['debug', 'info', 'warn'] as const) {
    logEvents(
      events,
      createLogger(jsonSink(logs.json[level]), level, () => JSON_EXAMPLE.time),
      {
        now: () => NOW_MS,
      },
    );
    reportEvents(events, (line) => logs.text[level].push(line), { level, now: () => NOW_MS });
  }
  servers = await startServers({ source, port: 0, opsPort: 0, now: () => NOW_MS, events, ready: () => true });
});

afterAll(async () => {
  await servers.close();
});

/** What each log wrote while `act` ran. */
async function written(act: () => Promise<unknown>): Promise<Logs> {
  const mark = (r: Record<LogLevel, string[]>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.length])) as Record<LogLevel, number>;
  const json = mark(logs.json);
  const text = mark(logs.text);
  await act();
  const since = (r: Record<LogLevel, string[]>, m: Record<LogLevel, number>) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.slice(m[k as LogLevel])])) as Record<
      LogLevel,
      string[]
    >;
  return { json: since(logs.json, json), text: since(logs.text, text) };
}

function sendExample(send: ExampleRequest) {
  const secret = send.secret === 'right' ? (SECRETS[send.clientId] as string) : WRONG;
  return post(servers.tokenEndpoint, form(send.params), { authorization: basic(send.clientId, secret) });
}

const EXAMPLES = REFUSAL_SECTIONS.flatMap((s) =>
  s.examples.map((e) => [`${s.heading}: ${e.request}`, e] as const),
);

describe('the refusals docs/troubleshooting.md shows', () => {
  it.each(EXAMPLES)('%s prints the documented line', async (_, example) => {
    const logged = await written(async () => {
      const answer = await sendExample(example.send);
      expect(answer.status).toBeGreaterThanOrEqual(400);
    });
    expect(logged.text.info).toEqual([example.line]);
    expect(logged.text.debug).toEqual([example.line]);
    expect(logged.json.info.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([example.line]);
    expect(logged.text.warn).toEqual([]);
    expect(logged.json.warn).toEqual([]);
  });

  it('writes the documented JSON line for the invalid_scope example', async () => {
    const logged = await written(() => sendExample(JSON_EXAMPLE.send));
    expect(logged.json.info).toEqual([`${JSON_EXAMPLE.line}\n`]);
  });

  it('is what the committed page shows, line for line', async () => {
    const page = await readFile(`${ROOT}docs/troubleshooting.md`, 'utf8');
    const section = page.slice(page.indexOf('## Refused token requests'), page.indexOf('## Condition types'));
    const textBlocks = [...section.matchAll(/^```text\n(.*)\n```$/gm)].map((m) => m[1]);
    expect(textBlocks).toEqual(EXAMPLES.map(([, e]) => e.line));
    const jsonBlock = /^```json\n([\s\S]*?)\n```$/m.exec(section)?.[1] ?? '';
    expect(JSON.parse(jsonBlock)).toEqual(JSON.parse(JSON_EXAMPLE.line));
  });
});

describe('a refusal in the log', () => {
  it('is one line per refused request, with the reason, at introspection and revocation too', async () => {
    const issued = await post(servers.tokenEndpoint, 'grant_type=client_credentials', {
      authorization: basic('billing-worker.billing', SECRETS['billing-worker.billing'] as string),
    });
    const token = issued.body.access_token as string;
    const logged = await written(async () => {
      await post(servers.introspectionEndpoint, form({ token }), {
        authorization: basic('reporting.finance', WRONG),
      });
      await post(servers.revocationEndpoint, form({ token }), {
        authorization: basic('reporting.finance', SECRETS['reporting.finance'] as string),
      });
    });
    expect(logged.text.info).toEqual([
      "refused: introspection for client 'reporting.finance' (namespace finance): invalid_client — wrong client_secret for 'reporting.finance'",
      "refused: revocation for client reporting.finance: unauthorized_client — token issued to 'billing-worker.billing'",
    ]);
    expect(logged.json.info.map((l) => JSON.parse(l) as Record<string, unknown>)).toMatchObject([
      { event: 'request.failed', endpoint: 'introspection', error: 'invalid_client', authenticated: false },
      { event: 'request.failed', endpoint: 'revocation', error: 'unauthorized_client', authenticated: true },
    ]);
  });

  it('escapes and bounds a hostile client id', async () => {
    const hostile = `evil\n{"level":50,"msg":"forged"}\u001b[2J${'x'.repeat(5000)}`;
    const logged = await written(() =>
      post(
        servers.tokenEndpoint,
        form({ grant_type: 'client_credentials', client_id: hostile, client_secret: WRONG }),
      ),
    );
    const [line] = logged.text.info;
    expect(line).toMatch(
      /^refused: token for client 'evil\\x0a\{"level":50,"msg":"forged"\}\\x1b\[2Jx+…\(\d+ more\)': invalid_client — unknown client 'evil\?/,
    );
    expect(line?.length).toBeLessThan(600);
    expect(logged.json.info).toHaveLength(1);
    expect(logged.json.info[0]?.endsWith('\n') && logged.json.info[0].indexOf('\n')).toBe(
      (logged.json.info[0]?.length ?? 0) - 1,
    );
  });

  it('says nothing at --log-level warn', async () => {
    const logged = await written(() =>
      post(servers.tokenEndpoint, 'grant_type=client_credentials&audience=https://hr.internal', {
        authorization: basic('billing-worker.billing', SECRETS['billing-worker.billing'] as string),
      }),
    );
    expect(logged.text.info).toHaveLength(1);
    expect(logged.text.warn).toEqual([]);
    expect(logged.json.warn).toEqual([]);
  });
});

describe('secrets never reach the log', () => {
  it('holds no client_secret, assertion, token or Authorization header of any refused request', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const assertion = await new SignJWT({ jti: randomBytes(8).toString('hex') })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer('signer.billing')
      .setSubject('signer.billing')
      .setAudience(servers.tokenEndpoint)
      .setIssuedAt(NOW_MS / 1000)
      .setExpirationTime(NOW_MS / 1000 + 60)
      .sign(privateKey);
    const issued = await post(servers.tokenEndpoint, 'grant_type=client_credentials', {
      authorization: basic('billing-worker.billing', SECRETS['billing-worker.billing'] as string),
    });
    const token = issued.body.access_token as string;
    expect(token).toMatch(/^ey/);
    const wrongBasic = basic('billing-worker.billing', WRONG);
    const bearer = `Bearer ${token}`;
    const cc = 'grant_type=client_credentials';
    const requests: [string, () => Promise<unknown>][] = [
      [
        'a wrong secret with HTTP Basic',
        () => post(servers.tokenEndpoint, cc, { authorization: wrongBasic }),
      ],
      [
        'a wrong secret in the body',
        () =>
          post(
            servers.tokenEndpoint,
            form({
              grant_type: 'client_credentials',
              client_id: 'billing-worker.billing',
              client_secret: WRONG,
            }),
          ),
      ],
      [
        'a right secret sent both ways',
        () =>
          post(
            servers.tokenEndpoint,
            form({
              grant_type: 'client_credentials',
              client_secret: SECRETS['billing-worker.billing'] as string,
            }),
            { authorization: basic('billing-worker.billing', SECRETS['billing-worker.billing'] as string) },
          ),
      ],
      [
        'a client assertion signed with a key the client does not have',
        () =>
          post(
            servers.tokenEndpoint,
            form({
              grant_type: 'client_credentials',
              client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
              client_assertion: assertion,
            }),
          ),
      ],
      [
        'a client assertion beside a client_secret',
        () =>
          post(
            servers.tokenEndpoint,
            form({
              grant_type: 'client_credentials',
              client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
              client_assertion: assertion,
              client_secret: WRONG,
            }),
          ),
      ],
      [
        'a Bearer token as the Authorization header',
        () => post(servers.tokenEndpoint, cc, { authorization: bearer }),
      ],
      [
        'an access token as a jwt-bearer assertion',
        () =>
          post(
            servers.tokenEndpoint,
            form({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: token }),
          ),
      ],
      [
        'an access token as a token exchange subject_token',
        () =>
          post(
            servers.tokenEndpoint,
            form({
              grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
              subject_token: token,
              subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
            }),
          ),
      ],
      [
        'an introspection with a wrong secret',
        () => post(servers.introspectionEndpoint, form({ token }), { authorization: wrongBasic }),
      ],
      [
        'an introspection with a Bearer header',
        () => post(servers.introspectionEndpoint, form({ token }), { authorization: bearer }),
      ],
      [
        'a revocation of a token issued to another client',
        () =>
          post(servers.revocationEndpoint, form({ token }), {
            authorization: basic('reporting.finance', SECRETS['reporting.finance'] as string),
          }),
      ],
      [
        'a revocation with a wrong secret in the body',
        () =>
          post(
            servers.revocationEndpoint,
            form({ token, client_id: 'billing-worker.billing', client_secret: WRONG }),
          ),
      ],
    ];
    const secrets = [
      WRONG,
      ...Object.values(SECRETS),
      assertion,
      ...assertion.split('.'),
      token,
      ...token.split('.'),
      wrongBasic,
      wrongBasic.slice('Basic '.length),
      basic('billing-worker.billing', SECRETS['billing-worker.billing'] as string).slice('Basic '.length),
    ];
    for (const [what, send] of requests) {
      const logged = await written(send);
      const all = [...logged.json.debug, ...logged.text.debug, ...logged.json.info, ...logged.text.info];
      // One line per refusal at info, in each format; at debug the same line (a refusal issues no token).
      expect(logged.text.info, what).toHaveLength(1);
      expect(logged.json.info, what).toHaveLength(1);
      expect(logged.text.debug, what).toEqual(logged.text.info);
      for (const line of all) {
        for (const secret of secrets) expect(line, `${what}: ${line}`).not.toContain(secret);
      }
    }
  });

  it('holds no access token when one is issued, even at debug', async () => {
    const logged = await written(() =>
      post(servers.tokenEndpoint, 'grant_type=client_credentials', {
        authorization: basic('billing-worker.billing', SECRETS['billing-worker.billing'] as string),
      }).then((answer) => {
        issuedToken = answer.body.access_token as string;
      }),
    );
    expect(logged.text.debug).toEqual([
      'debug: token.issued clientId=billing-worker.billing grantType=client_credentials audience=https://payments.internal algorithm=RS256',
    ]);
    expect(logged.json.debug).toHaveLength(1);
    expect(logged.text.info).toEqual([]);
    for (const line of [...logged.json.debug, ...logged.text.debug]) {
      expect(line).not.toContain(issuedToken);
      expect(line).not.toContain(SECRETS['billing-worker.billing']);
    }
  });
});

let issuedToken = '';
