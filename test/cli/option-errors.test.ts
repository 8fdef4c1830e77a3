import { parseArgs } from 'node:util';
import { describe, expect, it } from 'vitest';
import { optionError } from '../../src/option-errors.ts';
import type { OptionDef } from '../../src/option-table.ts';

const OPTIONS = [
  { name: 'manifests', type: 'string', value: 'DIR', description: '' },
  { name: 'port', type: 'string', value: 'N', description: '' },
  { name: 'ops-port', type: 'string', value: 'N', description: '' },
  { name: 'output', type: 'string', short: 'o', value: 'F', description: '' },
  { name: 'no-watch', type: 'boolean', description: '' },
] as const satisfies readonly OptionDef[];

/** What parseArgs throws for `argv`, as parseOptions would see it. */
function thrownBy(argv: string[], allowPositionals = false): unknown {
  try {
    parseArgs({
      args: argv,
      options: {
        manifests: { type: 'string' },
        port: { type: 'string' },
        'ops-port': { type: 'string' },
        output: { type: 'string', short: 'o' },
        'no-watch': { type: 'boolean' },
      },
      strict: true,
      allowPositionals,
    });
  } catch (err) {
    return err;
  }
  throw new Error(`parseArgs accepted ${argv.join(' ')}`);
}

const HELP = "run 'latchkey dev --help' for its options";

describe('optionError', () => {
  it.each<[string, string[], string]>([
    [
      'names the closest option to a mistyped one',
      ['--ops-prot', '9000'],
      `unknown option --ops-prot for latchkey dev; did you mean --ops-port? (${HELP})`,
    ],
    [
      '…whatever its case and separators',
      ['--Manifest=a'],
      `unknown option --Manifest for latchkey dev; did you mean --manifests? (${HELP})`,
    ],
    [
      'guesses nothing when nothing is near',
      ['--verbose'],
      `unknown option --verbose for latchkey dev; ${HELP}`,
    ],
    ['…nor for an unknown short option', ['-x'], `unknown option -x for latchkey dev; ${HELP}`],
    [
      'says which option needs a value',
      ['--port'],
      `option --port of latchkey dev needs a value (--port N); ${HELP}`,
    ],
    [
      '…and which takes none',
      ['--no-watch=yes'],
      `option --no-watch of latchkey dev takes no value; ${HELP}`,
    ],
    [
      'refuses an argument that is not an option',
      ['examples'],
      `latchkey dev takes no argument "examples" (only options); ${HELP}`,
    ],
  ])('%s', (_, argv, message) => {
    const error = optionError(thrownBy(argv), OPTIONS, 'dev');
    expect(error).toMatchObject({ code: 'LATCHKEY_CONFIG', message });
  });

  it('drops parseArgs’ hint about -- where arguments are allowed', () => {
    expect(optionError(thrownBy(['--exclud', 'x'], true), OPTIONS, 'validate')).toHaveProperty(
      'message',
      "unknown option --exclud for latchkey validate; run 'latchkey validate --help' for its options",
    );
  });

  it('leaves an error that is not parseArgs’ as it is', () => {
    const other = new Error('boom');
    expect(optionError(other, OPTIONS, 'dev')).toBe(other);
  });
});

describe('a mistyped option of each command', () => {
  it('names the command and the option meant', async () => {
    const { parseDevArgs } = await import('../../src/dev/config.ts');
    const { parseOperatorArgs } = await import('../../src/operator/config.ts');
    const { parseValidateArgs } = await import('../../src/validate/args.ts');
    expect(() => parseDevArgs(['--ops-prot', '9000'], '/tmp')).toThrow(
      "unknown option --ops-prot for latchkey dev; did you mean --ops-port? (run 'latchkey dev --help' for its options)",
    );
    expect(() => parseOperatorArgs(['--issuer', 'https://a.example', '--kube-config', 'x'], 'ns')).toThrow(
      "unknown option --kube-config for latchkey operator; did you mean --kubeconfig? (run 'latchkey operator --help' for its options)",
    );
    expect(() => parseValidateArgs(['--ouput', 'json', 'a'])).toThrow(
      "unknown option --ouput for latchkey validate; did you mean --output? (run 'latchkey validate --help' for its options)",
    );
  });
});
