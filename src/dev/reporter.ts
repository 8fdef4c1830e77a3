import { systemClock, type Clock } from '../clock.ts';
import type { EventBus, EventName } from '../events.ts';
import {
  DEFAULT_LOG_LEVEL,
  EVENT_LEVELS,
  eventLevel,
  eventsAtLevel,
  writes,
  type LogLevel,
} from '../log-level.ts';
import { logText, MAX_LOGGED_DETAIL, refusalGate, refusalLine, refusalRecord } from '../refusal-log.ts';
import { loadLine, type RejectedAt } from './load-line.ts';

export interface ReportOptions {
  /** The least severe level printed (`--log-level`); default info. */
  level?: LogLevel;
  /** The clock of the refusal lines' rate limit. */
  now?: Clock;
}

/** Human-readable lines for dev mode: what was applied, what is wrong and where, and refused requests. */
export function reportEvents(all: EventBus, out: (line: string) => void, options: ReportOptions = {}): void {
  const level = options.level ?? DEFAULT_LOG_LEVEL;
  const events = eventsAtLevel(all, level);
  reportRefusals(events, out, { level, now: options.now ?? systemClock });
  if (level === 'debug') reportDebugEvents(events, out);
  events.on('manifest.invalid', (p) =>
    out(`invalid: ${p.file}:${p.line}: ${p.object}: ${p.field ? `${p.field}: ` : ''}${p.message}`),
  );
  events.on('object.notReady', (p) => {
    const [kind, ...rest] = p.key.split('/');
    out(`not ready: ${kind} ${rest.join('/')} (${p.reason}): ${p.message}`);
  });
  events.on('secret.issued', (p) =>
    out(`secret: generated ${p.namespace}/${p.name} for client ${p.clientId}`),
  );
  events.on('tls.reloaded', (p) => out(`tls: serving the renewed certificate (valid until ${p.notAfter})`));
  events.on('tls.reloadFailed', (p) => out(`tls: kept the current certificate: ${p.message}`));
  events.on('reconcile.failed', (p) => out(`${p.controller}: ${p.key}: ${p.message}`));
  events.on('keys.created', (p) => out(`keys: created signing keys for ${p.algorithms.join(', ')}`));
  reportLoads(all, out, level);
}

/**
 * One line per load, `applied: …` or `rejected: …; still serving the last good version (…)` (load-line.ts):
 * the documents a load rejected are reported before the snapshot it compiled is swapped in. Read from the
 * whole bus, so a rejected load is said at warn (its documents' lines are errors) and nothing piles up while
 * applied lines are left out.
 */
function reportLoads(all: EventBus, out: (line: string) => void, level: LogLevel): void {
  const rejected: RejectedAt[] = [];
  all.on('manifest.invalid', (p) => {
    // Line 0: the folder itself could not be read; that load swapped nothing in.
    if (p.line > 0) rejected.push({ file: p.file, line: p.line });
  });
  all.on('store.swapped', (p) => {
    const found = rejected.splice(0);
    if (writes(level, found.length > 0 ? 'warn' : 'info')) out(loadLine(p, found));
  });
}

/** One line per refused request, `refused: <endpoint> for client <id>: <error> — <why>`, rate-limited. */
function reportRefusals(
  events: EventBus,
  out: (line: string) => void,
  options: Required<ReportOptions>,
): void {
  const gate = refusalGate({ threshold: options.level, now: options.now });
  for (const name of ['token.failed', 'request.failed'] as const) {
    events.on(name, (payload) => {
      const record = refusalRecord(name, payload);
      const suppressed = gate(record, eventLevel(name, payload));
      if (suppressed !== undefined) out(refusalLine(record, suppressed));
    });
  }
}

/** At debug, the events that have no line of their own (the tokens issued, introspected, revoked) as fields. */
function reportDebugEvents(events: EventBus, out: (line: string) => void): void {
  for (const name of Object.keys(EVENT_LEVELS) as EventName[]) {
    if (EVENT_LEVELS[name] !== 'debug') continue;
    events.on(name, (payload: object) => {
      const fields = Object.entries(payload)
        .filter(([, value]) => value !== undefined)
        .map(([key, value]) => `${key}=${logText(String(value), MAX_LOGGED_DETAIL)}`);
      out(`debug: ${name} ${fields.join(' ')}`);
    });
  }
}
