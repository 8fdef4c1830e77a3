import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formOf } from '../people/login-browser.ts';
import {
  ALICE,
  BOB,
  Browser,
  Snippet,
  startPeopleLatchkey,
  WEB_APP,
  type PeopleLatchkey,
} from './people-harness.ts';

/**
 * snippets/node/people-web-app.mjs (docs/people/web-app.md) as a person uses it: the app runs as a child process
 * with notes-web's Secret mounted as files, and a browser signs in through Latchkey's login page.
 */
describe('the Node.js web app snippet (openid-client, node:http)', () => {
  let latchkey: PeopleLatchkey | undefined;
  let app: Snippet | undefined;
  let appUrl: string;

  beforeAll(async () => {
    latchkey = await startPeopleLatchkey();
    appUrl = latchkey.appUrl;
    app = new Snippet(process.execPath, [WEB_APP], {
      LATCHKEY_SECRET_DIR: latchkey.webSecretDir,
      APP_URL: appUrl,
      PORT: String(latchkey.appPort),
    });
    await app.waitFor('stdout', /^listening on port \d+/m);
  });
  afterAll(async () => {
    await app?.stop();
    await latchkey?.close();
  });

  const onApp = (url: URL) => url.origin === new URL(appUrl).origin;
  const isCallback = (url: URL) => onApp(url) && url.pathname === '/callback';

  it('signs alice in: /login, Latchkey login page, /callback, and the page names her from the ID token', async () => {
    const browser = new Browser();
    const home = await browser.visit(`${appUrl}/`);
    expect(home.body).toContain('<p>Not signed in.</p>');

    const signedIn = await browser.signIn(`${appUrl}/login`, ALICE);
    expect(signedIn.res.status).toBe(200);
    expect(signedIn.url.href).toBe(`${appUrl}/`);
    expect(signedIn.body).toContain('<p>Signed in as Alice Example (alice@example.com).</p>');

    // The authorization request the app made: code with PKCE S256, state and nonce, the registered redirect URI.
    const authorize = signedIn.hops.find((u) => u.pathname === '/oauth2/authorize') as URL;
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'notes-web.notes',
      redirect_uri: `${appUrl}/callback`,
      scope: 'openid profile email',
      code_challenge_method: 'S256',
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      state: expect.stringMatching(/^[\w-]{43}$/),
      nonce: expect.stringMatching(/^[\w-]{43}$/),
    });
    const callback = signedIn.hops.find(isCallback) as URL;
    expect(callback.searchParams.get('iss')).toBe(latchkey?.issuer);
    expect(callback.searchParams.get('state')).toBe(authorize.searchParams.get('state'));
    // The app sets one cookie: its session's id.
    expect([...browser.cookies('localhost').keys()]).toEqual(['notes-session']);
  });

  it("signs out with RP-initiated logout, which ends Latchkey's session too", async () => {
    const browser = new Browser();
    const signedIn = await browser.signIn(`${appUrl}/login`, ALICE);
    expect(signedIn.body).toContain('Signed in as Alice Example');
    // Still signed in at Latchkey: another sign-in comes straight back without the login page.
    const again = await browser.visit(`${appUrl}/login`);
    expect(again.url.href).toBe(`${appUrl}/`);
    expect(again.body).toContain('Signed in as Alice Example');

    const logout = formOf(again.body, '/logout');
    const out = await browser.visit(new URL(logout.action, appUrl), { form: logout.fields });
    const endSession = out.hops.find((u) => u.pathname === '/oauth2/logout');
    expect(endSession?.origin).toBe(latchkey?.issuer);
    expect(endSession?.searchParams.get('post_logout_redirect_uri')).toBe(`${appUrl}/`);
    expect(endSession?.searchParams.get('id_token_hint')).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(out.url.href).toBe(`${appUrl}/`);
    expect(out.body).toContain('<p>Not signed in.</p>');

    // Latchkey's session ended: signing in again shows its login page.
    const next = await browser.visit(`${appUrl}/login`);
    expect(next.url.origin).toBe(latchkey?.issuer);
    expect(next.res.status).toBe(200);
    expect(next.body).toContain('name="password"');
  });

  it('refuses a replayed callback: the sign-in it belonged to is over', async () => {
    const browser = new Browser();
    const signedIn = await browser.signIn(`${appUrl}/login`, ALICE);
    const callback = signedIn.hops.find(isCallback) as URL;
    const replay = await browser.visit(callback);
    expect(replay.res.status).toBe(400);
    expect(replay.body).toContain('No sign-in is in progress here.');
    // The replay ended the app session it arrived with; nobody is signed in.
    expect((await browser.visit(`${appUrl}/`)).body).toContain('<p>Not signed in.</p>');
  });

  it("refuses a callback whose state is another browser's (login CSRF): nobody is signed in as bob", async () => {
    const victim = new Browser();
    // The victim's sign-in is in progress: the app keeps its state; the victim stops at Latchkey's login page.
    await victim.visit(`${appUrl}/login`);
    // An attacker signs in as bob and keeps the callback for himself.
    const attacker = new Browser();
    const theirs = await attacker.signIn(`${appUrl}/login`, BOB, { stopAt: isCallback });
    const planted = theirs.url;
    expect(isCallback(planted)).toBe(true);

    const res = await victim.visit(planted);
    expect(res.res.status).toBe(400);
    expect(res.body).toContain(
      'Sign-in failed: invalid response encountered: unexpected &#34;state&#34; response parameter value',
    );
    expect(app?.stderr).toContain(
      'sign-in failed: invalid response encountered: unexpected "state" response parameter value\n',
    );
    const home = await victim.visit(`${appUrl}/`);
    expect(home.body).toContain('<p>Not signed in.</p>');
    expect(home.body).not.toContain('Bob');
  });
});
