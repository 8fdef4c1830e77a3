/** What a load left in effect, as `store.swapped` counts it. */
export interface LoadCounts {
  apis: number;
  clientsInEffect: number;
  clientsBlocked: number;
  notReady: number;
}

/** Where a document that a load rejected starts. */
export interface RejectedAt {
  file: string;
  line: number;
}

// More places than this are counted, not named: each has its own `invalid:` line above.
const NAMED_PLACES = 3;

/**
 * Dev mode's line after each load: `applied: …` when every document was taken, `rejected: <file>:<line>…;
 * still serving the last good version (…)` when some were not, since an invalid document keeps its object's
 * last good version in effect (src/dev/manifest-folder.ts) and "applied" would say the edit is live (issue 16).
 * The counts are what serves: clients that can get a token, and apart from them the blocked ones.
 * @example loadLine({ apis: 1, clientsInEffect: 2, clientsBlocked: 0, notReady: 0 }, [])
 * // 'applied: 1 APIs, 2 clients in effect'
 */
export function loadLine(counts: LoadCounts, rejected: readonly RejectedAt[]): string {
  const inEffect = [
    `${counts.apis} APIs, ${counts.clientsInEffect} clients in effect`,
    ...(counts.clientsBlocked > 0 ? [`${counts.clientsBlocked} blocked`] : []),
    ...(counts.notReady > 0 ? [`${counts.notReady} objects not ready`] : []),
  ].join(', ');
  if (rejected.length === 0) return `applied: ${inEffect}`;
  const places = [...new Set(rejected.map((r) => `${r.file}:${r.line}`))];
  const named = places.slice(0, NAMED_PLACES).join(', ');
  const more = places.length > NAMED_PLACES ? ` and ${places.length - NAMED_PLACES} more` : '';
  return `rejected: ${named}${more}; still serving the last good version (${inEffect})`;
}
