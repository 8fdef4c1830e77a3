import { parseArgs } from 'node:util';
import { optionError } from './option-errors.ts';

/**
 * One command-line option, defined once: `parseArgs` reads its name and type, the `--help` text and
 * docs/cli.md (scripts/generate-cli-docs.ts) are made from all of it.
 */
export interface OptionDef {
  /** The flag without its dashes, as parseArgs names it. */
  readonly name: string;
  /** `string` takes a value; `boolean` is a switch that takes none. */
  readonly type: 'string' | 'boolean';
  /** A one-letter alias, e.g. `o` for `-o`. */
  readonly short?: string;
  /** The value's placeholder in the usage text, e.g. `URL`; string options only. */
  readonly value?: string;
  /** The option may be given more than once; its values come as a list, in the order given. */
  readonly multiple?: boolean;
  /**
   * The value the parser uses when the option is absent, written as it would be given on the command line:
   * passing it changes nothing (test/cli/option-defaults.test.ts proves it for every command).
   */
  readonly default?: string;
  /** What applies when the option is absent, when that is not one value (e.g. `in-cluster configuration`). */
  readonly defaultText?: string;
  readonly required?: boolean;
  /** What the option does, without its default: one paragraph that the usage text wraps. */
  readonly description: string;
}

/** A command: its synopsis, what it does, and its options in the order the usage text lists them. */
export interface CommandDef {
  /** As typed after `latchkey`, e.g. `operator`. */
  readonly name: string;
  /** The usage line after `Usage: `, e.g. `latchkey operator --issuer URL [options]`. */
  readonly synopsis: string;
  /** Paragraphs after the usage line. */
  readonly description: readonly string[];
  readonly options: readonly OptionDef[];
}

/** What parseArgs returns for a table: strings for string options, booleans for switches. */
export type OptionValues<T extends readonly OptionDef[]> = {
  [D in T[number] as D['name']]?: D['type'] extends 'boolean'
    ? boolean
    : D extends { readonly multiple: true }
      ? string[]
      : string;
};

/** The default as the usage text and docs state it; undefined when there is none to state. */
export function defaultOf(def: OptionDef): string | undefined {
  return def.default ?? def.defaultText;
}

/** The flag with its alias and value placeholder, e.g. `-o, --output F`. */
export function flagOf(def: OptionDef): string {
  const long = `--${def.name}${def.value !== undefined ? ` ${def.value}` : ''}`;
  return def.short !== undefined ? `-${def.short}, ${long}` : long;
}

/**
 * Parses the options of `latchkey <command>` strictly against `options`.
 *
 * @throws {ConfigError} on an unknown option (naming the closest one), a missing value, a value for a
 *   switch, or a positional argument when none is allowed; each points at the command's `--help`
 */
export function parseOptions<T extends readonly OptionDef[]>(
  options: T,
  argv: readonly string[],
  allowPositionals = false,
  command = '<command>',
): { values: OptionValues<T>; positionals: string[] } {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const def of options) {
    config[def.name] = {
      type: def.type,
      ...(def.short !== undefined ? { short: def.short } : {}),
      ...(def.multiple === true ? { multiple: true } : {}),
    };
  }
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options: config,
      strict: true,
      allowPositionals,
    });
    return { values: values as OptionValues<T>, positionals };
  } catch (err) {
    throw optionError(err, options, command);
  }
}

// Help text starts at this column; a longer flag stands on a line of its own. Lines wrap at WIDTH.
const HELP_COLUMN = 26;
const WIDTH = 110;
const NBSP = '\u00a0';

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/[ \n]+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.map((l) => l.replaceAll(NBSP, ' '));
}

/** What the usage text adds after an option's description: `(required)`, `(default: …)` or nothing. */
function suffixOf(def: OptionDef): string | undefined {
  if (def.required === true) return '(required)';
  const fallback = defaultOf(def);
  return fallback !== undefined ? `(default: ${fallback})` : undefined;
}

/** The `Options:` block of a usage text. */
export function formatOptions(options: readonly OptionDef[]): string {
  const indent = ' '.repeat(HELP_COLUMN);
  return options
    .map((def) => {
      const flag = `  ${flagOf(def)}`;
      const lead = flag.length + 2 <= HELP_COLUMN ? flag.padEnd(HELP_COLUMN) : `${flag}\n${indent}`;
      const suffix = suffixOf(def);
      // `(default: 5m)` is not split after its colon.
      const help = suffix === undefined ? def.description : `${def.description} ${suffix.replace(' ', NBSP)}`;
      return `${lead}${wrap(help, WIDTH - HELP_COLUMN).join(`\n${indent}`)}\n`;
    })
    .join('');
}

/** The whole `--help` text of a command. */
export function formatUsage(command: CommandDef): string {
  const paragraphs = command.description.map((p) => `${wrap(p, WIDTH).join('\n')}\n\n`).join('');
  return `Usage: ${command.synopsis}\n\n${paragraphs}Options:\n${formatOptions(command.options)}`;
}
