/** A line `latchkey` prints about itself (started, ready), outside the events that logging writes. */
export interface Status {
  /** Names the record in JSON, as `event` names the log's records: `dev.ready`. */
  event: string;
  /** The record's `msg` in JSON. */
  msg: string;
  /** The whole line in text. */
  text: string;
  /** The record's fields in JSON; undefined ones are left out. */
  fields?: Readonly<Record<string, string | undefined>>;
}

// pino's number for info, which the records around this one carry.
const INFO = 30;

/**
 * The line for `status`: as text, or with `--log-format json` one JSON record in the shape of pino's
 * (`level`, `time`, fields, `msg`), so a log collector reading the stream finds nothing but JSON (issue 16).
 * Written whatever the log level: scripts wait for these lines.
 */
export function statusLine(format: 'text' | 'json', status: Status, timeMs: number): string {
  if (format === 'text') return `${status.text}\n`;
  return `${JSON.stringify({ level: INFO, time: timeMs, event: status.event, ...status.fields, msg: status.msg })}\n`;
}
