import { formatOptions, type OptionDef } from '../option-table.ts';

/** A command of `latchkey`, as the top-level usage text and docs/cli.md list it. */
export interface CommandSummary {
  readonly name: string;
  readonly summary: string;
}

export const COMMANDS: readonly CommandSummary[] = [
  { name: 'dev', summary: 'serve a folder of manifests with the embedded store (no cluster)' },
  {
    name: 'operator',
    summary: "reconcile Latchkey's custom resources from a Kubernetes API server and serve tokens",
  },
  {
    name: 'validate',
    summary: 'check manifests offline (schemas, references, cross-namespace opt-in) for CI',
  },
  { name: 'login', summary: 'sign in through Latchkey from a terminal, and keep the tokens' },
  { name: 'token', summary: 'print a fresh access or ID token of the sign-in kept by login' },
  {
    name: 'kubectl-credential',
    summary: 'a kubectl exec credential plugin: your ID token for the API server',
  },
  { name: 'version', summary: 'print the version of Latchkey' },
];

/** What `latchkey` takes instead of a command; after a command, `--help` prints that command's options. */
export const GLOBAL_OPTIONS = [
  {
    name: 'help',
    short: 'h',
    type: 'boolean',
    description: 'print the commands, or after a command its options',
  },
  {
    name: 'version',
    type: 'boolean',
    description: 'print the version of Latchkey, as latchkey version does',
  },
] as const satisfies readonly OptionDef[];

const NAME_COLUMN = 20;

export const USAGE = `Usage: latchkey <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(NAME_COLUMN)}${c.summary}\n`).join('')}
Options:
${formatOptions(GLOBAL_OPTIONS)}
Run 'latchkey <command> --help' for a command's options.
`;
