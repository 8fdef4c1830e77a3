import { ConfigError } from './config-error.ts';

/** An integer command-line option within bounds; `fallback` when absent. */
export function integerOption(
  value: string | undefined,
  option: string,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || n < min || n > max) {
    throw new ConfigError(option, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}

export const portOption = (value: string | undefined, option: string, fallback: number): number =>
  integerOption(value, option, fallback, 0, 65535);
