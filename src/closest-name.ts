/**
 * Edits from `a` to `b`: insertions, deletions, substitutions and swaps of two neighbours (optimal string
 * alignment), so a transposed pair (`prot` for `port`) counts as the one slip it is.
 * @example editDistance('ops-prot', 'ops-port') // 1
 */
export function editDistance(a: string, b: string): number {
  // Three rows are enough: a swap looks back two characters.
  let before = new Array<number>(b.length + 1).fill(0);
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (before[j - 2] ?? 0) + 1);
      }
      current.push(d);
    }
    before = previous;
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Case and word separators are how names of one thing differ most (`logFormat`, `log-format`, `log_format`). */
function normalized(name: string): string {
  return name.toLowerCase().replaceAll(/[-_]/g, '');
}

/**
 * The candidate `given` most likely stands for, for a "did you mean …?": the nearest by
 * {@link editDistance}, ignoring case, `-` and `_`, when it is at most a third of `given`'s length away
 * (at least one edit, at most two); undefined when none is that near, since no guess is better than a wrong
 * one. A tie goes to the candidate listed first.
 * @example closestName('ops-prot', ['port', 'ops-port']) // 'ops-port'
 */
export function closestName(given: string, candidates: readonly string[]): string | undefined {
  const wanted = normalized(given);
  if (wanted === '') return undefined;
  // Slips, not other words: `payments-reader` is not a typo of `payments-writer`.
  const limit = Math.min(2, Math.max(1, Math.floor(wanted.length / 3)));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of candidates) {
    const d = editDistance(wanted, normalized(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}
