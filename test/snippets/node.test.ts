import { describeSnippet } from './harness.ts';

describeSnippet({
  lang: 'node',
  command: (script) => ({ command: process.execPath, args: [script] }),
  // openid-client lowercases token_type (RFC 6749 §5.1: case-insensitive); the server sends Bearer.
  tokenType: 'bearer',
  errorOutput: (error, description) => `token request failed: ${error}: ${description}`,
});
