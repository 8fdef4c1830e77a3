import { PerformanceObserver, constants, type NodeGCPerformanceDetail } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { releaseMemory } from '../../src/runtime/release-memory.ts';

describe('releaseMemory', () => {
  it('runs a major collection without giving the program a global gc', async () => {
    expect(typeof globalThis.gc).toBe('undefined');
    const kinds: number[] = [];
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        kinds.push((entry as unknown as { detail: NodeGCPerformanceDetail }).detail.kind);
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    try {
      await releaseMemory();
      // gc entries are delivered after the collection, on a later turn of the event loop.
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      observer.disconnect();
    }
    expect(kinds).toContain(constants.NODE_PERFORMANCE_GC_MAJOR);
    expect(typeof globalThis.gc).toBe('undefined');
  });
});
