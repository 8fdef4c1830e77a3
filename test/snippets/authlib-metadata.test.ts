import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../http/harness.ts';
import { SETUP_TIMEOUT_MS, setupSnippet } from './harness.ts';

// authlib's RFC 8414 validator, the strictest of the client libraries Latchkey was tried with (issue 9, item 10).
const VALIDATE = `
import json, sys
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
AuthorizationServerMetadata(json.load(sys.stdin)).validate()
print("valid")
`;

function validate(
  python: string,
  metadata: unknown,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      python,
      ['-c', VALIDATE],
      // The harness serves plain http; authlib insists on https for every URL unless told.
      { env: { ...process.env, AUTHLIB_INSECURE_TRANSPORT: '1' }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(JSON.stringify(metadata));
  });
}

describe('the RFC 8414 metadata under authlib’s AuthorizationServerMetadata.validate()', () => {
  let python: string;
  let h: Harness;
  beforeAll(async () => {
    python = await setupSnippet('python');
    h = await startHarness();
  }, SETUP_TIMEOUT_MS);
  afterAll(() => h?.close());

  it('is valid as served', async () => {
    const res = await fetch(`${h.servers.issuer}/.well-known/oauth-authorization-server`);
    expect(await validate(python, await res.json())).toEqual({ code: 0, stdout: 'valid\n', stderr: '' });
  });

  it('would be refused with an empty response_types_supported, as the server served it before', async () => {
    const res = await fetch(`${h.servers.issuer}/.well-known/oauth-authorization-server`);
    const metadata = { ...((await res.json()) as object), response_types_supported: [] };
    const refused = await validate(python, metadata);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('"response_types_supported" is required');
  });
});
