import { closestName } from './closest-name.ts';
import { ConfigError } from './config-error.ts';
import type { OptionDef } from './option-table.ts';

/** A command line that cannot be parsed. Its message names the option itself, so it has no field prefix. */
export class OptionError extends ConfigError {
  constructor(option: string, message: string) {
    super(option, message);
    this.message = message;
  }
}

// parseArgs says what is wrong in its error codes; the option is quoted in its message.
const QUOTED = /'(-[^' ]*)/;
const ARGUMENT = /argument '([^']*)'/;

/**
 * The error to show for what `parseArgs` threw on `latchkey <command>`'s options, in our words and with the
 * way out: the closest option to an unknown one (by {@link closestName}) and the command's `--help`.
 * Anything that is not a parseArgs error is returned as it is.
 * @example optionError(err, DEV_OPTIONS, 'dev').message
 * // "unknown option --ops-prot for latchkey dev; did you mean --ops-port? (run 'latchkey dev --help' for its options)"
 */
export function optionError(err: unknown, options: readonly OptionDef[], command: string): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (!(err instanceof Error) || typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS_')) return err;
  const help = `run 'latchkey ${command} --help' for its options`;
  const flag = QUOTED.exec(err.message)?.[1] ?? '';
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const guess = flag.startsWith('--')
        ? closestName(
            flag.slice(2),
            options.map((o) => o.name),
          )
        : undefined;
      return new OptionError(
        flag,
        guess === undefined
          ? `unknown option ${flag} for latchkey ${command}; ${help}`
          : `unknown option ${flag} for latchkey ${command}; did you mean --${guess}? (${help})`,
      );
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const def = options.find((o) => `--${o.name}` === flag || `-${o.short ?? ''}` === flag);
      if (def?.type === 'boolean') {
        return new OptionError(flag, `option --${def.name} of latchkey ${command} takes no value; ${help}`);
      }
      const name = def === undefined ? flag : `--${def.name}`;
      const usage = def?.value === undefined ? '' : ` (${name} ${def.value})`;
      return new OptionError(flag, `option ${name} of latchkey ${command} needs a value${usage}; ${help}`);
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const argument = ARGUMENT.exec(err.message)?.[1] ?? '';
      return new OptionError(
        'arguments',
        `latchkey ${command} takes no argument ${JSON.stringify(argument)} (only options); ${help}`,
      );
    }
    default:
      return new OptionError('options', `${err.message}; ${help}`);
  }
}
