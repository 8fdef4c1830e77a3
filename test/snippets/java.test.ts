import { describeSnippet } from './harness.ts';

describeSnippet({
  lang: 'java',
  command: (classpath) => ({ command: 'java', args: ['-cp', classpath, 'example.GetToken'] }),
  tokenType: 'Bearer',
  errorOutput: (error, description) => `token request failed: ${error}: ${description}`,
});
