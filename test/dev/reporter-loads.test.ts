import { describe, expect, it } from 'vitest';
import { EventBus } from '../../src/events.ts';
import { reportEvents } from '../../src/dev/reporter.ts';
import type { LogLevel } from '../../src/log-level.ts';

const SWAPPED = { version: 2, clients: 3, clientsInEffect: 2, clientsBlocked: 1, apis: 1, notReady: 1 };
const INVALID = {
  file: 'apis.yaml',
  line: 12,
  object: 'ResourceServer/team/b',
  field: 'spec.bogus',
  message: 'unknown field "bogus"',
};

function reporter(level?: LogLevel) {
  const events = new EventBus();
  const lines: string[] = [];
  reportEvents(events, (l) => lines.push(l), level === undefined ? {} : { level });
  return { events, lines };
}

describe("dev mode's line after a load", () => {
  it('says applied, with the blocked clients apart, when no document was rejected', () => {
    const { events, lines } = reporter();
    events.emit('store.swapped', SWAPPED);
    expect(lines).toEqual(['applied: 1 APIs, 2 clients in effect, 1 blocked, 1 objects not ready']);
  });

  it('says rejected, and that the last good version still serves, after the load that found an invalid document', () => {
    const { events, lines } = reporter();
    events.emit('manifest.invalid', INVALID);
    events.emit('store.swapped', SWAPPED);
    // The next load found nothing wrong: applied again.
    events.emit('store.swapped', SWAPPED);
    expect(lines).toEqual([
      'invalid: apis.yaml:12: ResourceServer/team/b: spec.bogus: unknown field "bogus"',
      'rejected: apis.yaml:12; still serving the last good version (1 APIs, 2 clients in effect, 1 blocked, 1 objects not ready)',
      'applied: 1 APIs, 2 clients in effect, 1 blocked, 1 objects not ready',
    ]);
  });

  it('does not count a folder that could not be read as a rejected document', () => {
    const { events, lines } = reporter();
    events.emit('manifest.invalid', { ...INVALID, file: 'manifests', line: 0, object: 'folder', field: '' });
    events.emit('store.swapped', SWAPPED);
    expect(lines.at(-1)).toMatch(/^applied: /);
  });

  it('keeps the rejected line at --log-level warn, where applied lines are left out', () => {
    const { events, lines } = reporter('warn');
    events.emit('store.swapped', SWAPPED);
    events.emit('manifest.invalid', INVALID);
    events.emit('store.swapped', SWAPPED);
    expect(lines).toEqual([
      'invalid: apis.yaml:12: ResourceServer/team/b: spec.bogus: unknown field "bogus"',
      'rejected: apis.yaml:12; still serving the last good version (1 APIs, 2 clients in effect, 1 blocked, 1 objects not ready)',
    ]);
  });
});
