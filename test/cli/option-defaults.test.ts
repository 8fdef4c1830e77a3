import { describe, expect, it } from 'vitest';
import { DEV_OPTIONS, parseDevArgs } from '../../src/dev/config.ts';
import { OPERATOR_OPTIONS, parseOperatorArgs } from '../../src/operator/config.ts';
import type { OptionDef } from '../../src/option-table.ts';
import { parseValidateArgs, VALIDATE_OPTIONS } from '../../src/validate/args.ts';

/** The options whose stated default is one value, with that value: passing it must change nothing. */
const literalDefaults = (options: readonly OptionDef[]) =>
  options.filter((o) => o.default !== undefined).map((o) => [o.name, o.default as string] as const);

// The options that only apply in a context other than the command's default one.
const OPERATOR_CONTEXT: Record<string, string[]> = { 'replay-capacity': ['--state', 'memory'] };

describe('the defaults the usage text and docs/cli.md state', () => {
  const operatorBase = ['--issuer', 'http://latchkey.latchkey-system.svc:8080', '--identity', 'pod-1'];
  it.each(literalDefaults(OPERATOR_OPTIONS))('latchkey operator --%s %s changes nothing', (name, value) => {
    const base = [...operatorBase, ...(OPERATOR_CONTEXT[name] ?? [])];
    expect(parseOperatorArgs([...base, `--${name}`, value], 'ns')).toEqual(parseOperatorArgs(base, 'ns'));
  });

  it.each(literalDefaults(DEV_OPTIONS))('latchkey dev --%s %s changes nothing', (name, value) => {
    expect(parseDevArgs([`--${name}`, value], '/w')).toEqual(parseDevArgs([], '/w'));
  });

  it.each(literalDefaults(VALIDATE_OPTIONS))('latchkey validate --%s %s changes nothing', (name, value) => {
    expect(parseValidateArgs([`--${name}`, value, 'x.yaml'])).toEqual(parseValidateArgs(['x.yaml']));
  });
});
