import { join } from 'node:path';
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import {
  describeSnippet,
  INVENTORY,
  ROOT,
  runSnippet,
  SETUP_TIMEOUT_MS,
  setupSnippet,
  startLatchkey,
  type Latchkey,
} from './harness.ts';

const SCRIPT = join(ROOT, 'snippets/python/get_token.py');

describeSnippet({
  lang: 'python',
  // `latchkey dev` serves plain http, which oauthlib refuses unless told (a cluster's issuer is https).
  command: (python) => ({ command: python, args: [SCRIPT], env: { OAUTHLIB_INSECURE_TRANSPORT: '1' } }),
  tokenType: 'Bearer',
  errorOutput: (error, description) => `token request failed: ${error}: ${description}`,
});

describe('the python snippet over plain http', () => {
  let python: string;
  let latchkey: Latchkey | undefined;
  beforeAll(async () => {
    python = await setupSnippet('python');
    latchkey = await startLatchkey();
  }, SETUP_TIMEOUT_MS);
  afterAll(async () => {
    await latchkey?.close();
  });

  it('is refused by oauthlib unless OAUTHLIB_INSECURE_TRANSPORT is set, as the guide says', async () => {
    const res = await runSnippet(python, [SCRIPT], {
      secretDir: (latchkey as Latchkey).secretDir,
      audience: INVENTORY,
      env: { OAUTHLIB_INSECURE_TRANSPORT: '' },
    });
    expect(res).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'token request failed: insecure_transport: OAuth 2 MUST utilize https.\n',
    });
  });
});
