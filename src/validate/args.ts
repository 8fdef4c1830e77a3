import { parseArgs } from 'node:util';
import { ConfigError } from '../config-error.ts';

export type OutputFormat = 'text' | 'json';

export interface ValidateOptions {
  /** Files and folders as given; folders are read recursively. */
  paths: string[];
  output: OutputFormat;
}

export const VALIDATE_USAGE = `Usage: latchkey validate [options] FILE|DIR...

Checks manifests offline, for CI: every document against the schemas the CRDs carry, and across the given
files the references (ResourceServers, Roles, OAuthClients, Connections, declared scopes), cross-namespace
opt-in (allowedNamespaces against the labels of the Namespace documents given), identifiers and client ids.

Prints one line per problem (file:line: Kind/namespace/name: field: problem). Exits 0 when there is no error
(warnings allowed), 1 when there is one, 2 on a usage error.

Options:
  --output F   text or json (default: text); json prints {"problems": [{file, line, object, field,
               message, severity}]}
`;

export function parseValidateArgs(argv: readonly string[]): ValidateOptions {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { output: { type: 'string', short: 'o' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    throw new ConfigError('options', (err as Error).message);
  }
  const output = parsed.values.output ?? 'text';
  if (output !== 'text' && output !== 'json') {
    throw new ConfigError('--output', `must be text or json, got ${JSON.stringify(output)}`);
  }
  if (parsed.positionals.length === 0) {
    // No default folder: a CI step that validates nothing because of a typo must not pass.
    throw new ConfigError('arguments', `name the files or folders to check\n\n${VALIDATE_USAGE}`);
  }
  return { paths: parsed.positionals, output };
}
