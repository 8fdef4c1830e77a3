import { ConfigError } from '../config-error.ts';
import { formatUsage, parseOptions, type CommandDef, type OptionDef } from '../option-table.ts';

export type OutputFormat = 'text' | 'json';

export interface ValidateOptions {
  /** Files and folders as given; folders are read recursively. */
  paths: string[];
  output: OutputFormat;
  /** Patterns of files and folders to leave out (src/validate/exclude.ts). */
  exclude: string[];
}

/** Every option of `latchkey validate`, in the order the usage text lists them. */
export const VALIDATE_OPTIONS = [
  {
    name: 'output',
    type: 'string',
    short: 'o',
    value: 'F',
    default: 'text',
    description:
      'text or json; json prints {"problems": [{file, line, object, field, message, severity}], "skipped": [{file, reason}]}',
  },
  {
    name: 'exclude',
    type: 'string',
    value: 'GLOB',
    multiple: true,
    description:
      'leave out matching files and folders; repeatable. Without a slash it matches a name at any depth (values.yaml, charts, *.values.yaml), with one a path from its start, as printed or below the folder given (charts/**)',
  },
] as const satisfies readonly OptionDef[];

export const VALIDATE_COMMAND: CommandDef = {
  name: 'validate',
  synopsis: 'latchkey validate [options] FILE|DIR|-...',
  description: [
    'Checks manifests offline, for CI: every document against the schemas the CRDs carry, and across the given files the references (ResourceServers, Roles, OAuthClients, Connections, declared scopes), cross-namespace opt-in (allowedNamespaces against the labels of the Namespace documents given), identifiers and client ids.',
    'Folders are read recursively (*.yaml, *.yml); - reads manifests from standard input, named <stdin> in messages. A file none of whose documents has kind or metadata at the top level (a Helm values.yaml, a Chart.yaml) is skipped with a note.',
    'Prints one line per problem (file:line: Kind/namespace/name: field: problem). Exits 0 when there is no error (warnings allowed), 1 when there is one, 2 on a usage error.',
  ],
  options: VALIDATE_OPTIONS,
};

export const VALIDATE_USAGE = formatUsage(VALIDATE_COMMAND);

export function parseValidateArgs(argv: readonly string[]): ValidateOptions {
  const { values, positionals } = parseOptions(VALIDATE_OPTIONS, argv, true, 'validate');
  const output = values.output ?? 'text';
  if (output !== 'text' && output !== 'json') {
    throw new ConfigError('--output', `must be text or json, got ${JSON.stringify(output)}`);
  }
  if (positionals.length === 0) {
    // No default folder: a CI step that validates nothing because of a typo must not pass.
    throw new ConfigError(
      'arguments',
      `name the files or folders to check (- for standard input)\n\n${VALIDATE_USAGE}`,
    );
  }
  return { paths: positionals, output, exclude: values.exclude ?? [] };
}
