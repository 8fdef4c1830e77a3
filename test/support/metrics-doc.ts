/** Reads docs/metrics.md: what it says about each metric, for the tests that hold the page to the code. */

export interface Described {
  type: string;
  /** Where it is served, as the line under the heading says: `dev, operator`, `operator`, ... */
  where: string;
  labels: string[];
}

/** Each `### \`name\`` section: the `<type> · <where>` line under it, and the first table's labels. */
export function documentedMetrics(markdown: string): Map<string, Described> {
  const out = new Map<string, Described>();
  const sections = markdown.split(/^### /m).slice(1);
  for (const section of sections) {
    const name = /^`([a-z_]+)`\n/.exec(section)?.[1];
    if (name === undefined) continue;
    const lines = section.split('\n').slice(1);
    const head = lines.find((l) => l.trim() !== '') ?? '';
    const [type = '', where = ''] = head.split(' · ');
    const labels: string[] = [];
    const start = lines.findIndex((l) => l.startsWith('| label'));
    if (start !== -1) {
      for (const line of lines.slice(start + 2)) {
        const label = /^\| `([a-z_]+)` +\|/.exec(line)?.[1];
        if (label === undefined) break;
        labels.push(label);
      }
    }
    out.set(name, { type, where, labels: labels.sort() });
  }
  return out;
}
