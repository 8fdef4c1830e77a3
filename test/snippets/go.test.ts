import { describeSnippet } from './harness.ts';

describeSnippet({
  lang: 'go',
  command: (binary) => ({ command: binary, args: [] }),
  tokenType: 'Bearer',
  // log.Fatal: the standard logger's date and time, then x/oauth2's RetrieveError.
  errorOutput: (error, description) =>
    new RegExp(`^\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d oauth2: "${error}" "${escape(description)}"$`),
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
