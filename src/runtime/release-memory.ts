import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Undefined until first asked for; null where V8 refused to expose it, so it is not asked for again. */
let gc: NodeJS.GCFunction | null | undefined;

/**
 * Asks V8 to collect everything it can and give the freed pages back to the system, in a task of its own.
 * Start-up is a burst (dev mode parses a folder and generates Secrets; the operator lists every object; both
 * compile a store), mostly garbage by the time the process serves, and an idle process runs no collection
 * that would free it: V8's memory reducer judges the allocation rate by the last collections, which saw the
 * burst, and waits for its 100 s watchdog. Until then 1,000 clients keep ~20 MiB more resident than needed.
 *
 * `gc()` comes from a context of its own, so the program never gets a global `gc`; where V8 refuses the flag
 * this does nothing.
 */
export async function releaseMemory(): Promise<void> {
  if (gc === undefined) gc = gcFunction();
  await gc?.({ type: 'major', execution: 'async', flavor: 'last-resort' });
}

function gcFunction(): NodeJS.GCFunction | null {
  if (typeof globalThis.gc === 'function') return globalThis.gc;
  try {
    setFlagsFromString('--expose-gc');
    try {
      return runInNewContext('typeof gc === "function" ? gc : null') as NodeJS.GCFunction | null;
    } finally {
      setFlagsFromString('--no-expose-gc');
    }
  } catch {
    return null;
  }
}
