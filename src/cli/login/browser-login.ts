import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { askParams, postForm, type Metadata, type SignInAsk } from './oauth-http.ts';
import type { TokenResponse } from './token-cache.ts';

/** How long the listener waits for the browser to come back. */
const BROWSER_TIMEOUT_MS = 5 * 60_000;

/** The PKCE pair (RFC 7636 §4.1, §4.2): a random verifier and its S256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/**
 * What came back to the listener: a code for this sign-in, or why not (RFC 6749 §4.1.2, RFC 9207). `foreign`
 * is an answer that is not this sign-in's (another `state`): it is refused and the listener keeps waiting, so
 * whatever else on the machine can reach 127.0.0.1 cannot end the sign-in.
 */
export type Callback = { code: string } | { error: string; foreign?: true };

/**
 * Reads the redirect the browser brings back. The `state` must be this sign-in's, and `iss` (RFC 9207) the
 * issuer's, so an answer of another server or another sign-in is refused (mix-up, RFC 9700 §4.4).
 */
export function readCallback(url: URL, expected: { state: string; issuer: string }): Callback {
  const params = url.searchParams;
  if (params.get('state') !== expected.state) {
    return { error: 'the answer belongs to another sign-in (state)', foreign: true };
  }
  if (params.get('iss') !== expected.issuer) return { error: 'the answer comes from another issuer (iss)' };
  const error = params.get('error');
  if (error !== null)
    return {
      error: `${error}${params.has('error_description') ? `: ${params.get('error_description')}` : ''}`,
    };
  const code = params.get('code');
  return code === null ? { error: 'the answer has no code' } : { code };
}

/**
 * Authorization code with PKCE for a native app (RFC 8252): a listener on 127.0.0.1 at a port the system picks,
 * the address to open written for the person, and the code the browser brings back exchanged at the token
 * endpoint. The client registers `http://127.0.0.1/callback`, which Latchkey matches on any port (§7.3).
 */
export async function browserLogin(
  metadata: Metadata,
  clientId: string,
  ask: SignInAsk,
  write: (text: string) => void,
): Promise<TokenResponse> {
  if (metadata.authorization_endpoint === undefined)
    throw new Error(`${metadata.issuer} has no authorization endpoint`);
  const { verifier, challenge } = pkcePair();
  const state = randomBytes(16).toString('base64url');
  let settle: (callback: Callback) => void = () => {};
  const answered = new Promise<Callback>((resolve) => (settle = resolve));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    const callback = readCallback(url, { state, issuer: metadata.issuer });
    res.writeHead('code' in callback ? 200 : 400, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(
      'code' in callback ? 'Signed in. You can close this window.\n' : `Not signed in: ${callback.error}\n`,
    );
    if (!('foreign' in callback)) settle(callback);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const redirectUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  const timer = setTimeout(
    () => settle({ error: 'no sign-in came back within 5 minutes' }),
    BROWSER_TIMEOUT_MS,
  );
  try {
    const url = new URL(metadata.authorization_endpoint);
    for (const [name, value] of Object.entries({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      ...askParams(ask),
      state,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })) {
      url.searchParams.set(name, value);
    }
    write(`\nTo sign in, open this address in a browser on this machine:\n\n  ${url.href}\n\n`);
    const callback = await answered;
    if ('error' in callback) throw new Error(`the sign-in failed: ${callback.error}`);
    return await postForm<TokenResponse>(metadata.token_endpoint, {
      grant_type: 'authorization_code',
      code: callback.code,
      redirect_uri: redirectUri,
      code_verifier: verifier,
      client_id: clientId,
    });
  } finally {
    clearTimeout(timer);
    server.close();
  }
}
