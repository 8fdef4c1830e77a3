import { parseDuration } from './api/duration.ts';
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

/** How a bound of {@link durationOption} is written in its message: `100ms`, `15m`, `24h`. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** A Go-style duration command-line option (`90s`, `15m`) within bounds, in milliseconds; `fallback` when absent. */
export function durationOption(
  value: string | undefined,
  option: string,
  fallback: number,
  minMs: number,
  maxMs: number,
): number {
  if (value === undefined) return fallback;
  const ms = parseDuration(value);
  if (ms === undefined || ms < minMs || ms > maxMs) {
    throw new ConfigError(
      option,
      `must be a duration from ${formatDuration(minMs)} to ${formatDuration(maxMs)}, got ${JSON.stringify(value)}`,
    );
  }
  return Math.round(ms);
}
