/**
 * Draws the dashboard of panels.ts as an SVG picture from query results, laid out on Grafana's 24-column grid
 * with its dark theme: timeseries panels as lines (or stacked areas) with axes and a legend, stat panels as their
 * last value over a sparkline. It is not Grafana: it draws the same queries' results the same way, so the docs
 * can show what the dashboard looks like on real data (test/docs/dashboard.test.ts).
 */
import type { PanelSpec, RowSpec } from './panels.ts';

/** One series of a query's result: its labels and its samples as [unix seconds, value]. */
export interface Series {
  labels: Record<string, string>;
  values: [number, number][];
}

/** The results of a panel's queries, in the order of its `queries`. */
export type PanelData = Series[][];

export interface RenderOptions {
  title: string;
  /** A line under the title, e.g. what produced the data. */
  subtitle: string;
  /** The time range drawn, in unix seconds. */
  from: number;
  to: number;
  /** Width of the picture in pixels; default 1600. */
  width?: number;
}

const GRID_COLUMNS = 24;
const ROW_UNIT = 30;
const GAP = 8;
const HEADER = 64;
const ROW_TITLE = 30;
const THEME = {
  background: '#111217',
  panel: '#181b1f',
  border: '#2c3235',
  text: '#ccccdc',
  muted: '#8e8e9e',
  grid: '#2c3235',
  green: '#73bf69',
  red: '#f2495c',
};
const PALETTE = [
  '#73bf69',
  '#f2cc0c',
  '#8ab8ff',
  '#ff780a',
  '#f2495c',
  '#5794f2',
  '#b877d9',
  '#ff9830',
  '#96d98d',
  '#ffb357',
];
const FONT = 'font-family="Inter, Helvetica, Arial, sans-serif"';

/** The SVG of the whole dashboard: `data[r][p]` holds the results of panel `p` of row `r`. */
export function renderDashboardSvg(
  rows: readonly RowSpec[],
  data: PanelData[][],
  options: RenderOptions,
): string {
  const width = options.width ?? 1600;
  const column = (width - GAP) / GRID_COLUMNS;
  const parts: string[] = [];
  let y = HEADER;
  rows.forEach((row, r) => {
    parts.push(text(GAP + 4, y + 20, row.title, { size: 15, weight: 600 }));
    y += ROW_TITLE;
    let x = 0;
    const height = row.height * ROW_UNIT;
    row.panels.forEach((panel, p) => {
      if (x + panel.width > GRID_COLUMNS) {
        x = 0;
        y += height + GAP;
      }
      const box = { x: GAP + x * column, y, w: panel.width * column - GAP, h: height };
      parts.push(drawPanel(panel, data[r]?.[p] ?? [], box, options));
      x += panel.width;
    });
    y += height + GAP;
  });
  const total = y + GAP;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${total}" viewBox="0 0 ${width} ${total}">`,
    `<rect width="${width}" height="${total}" fill="${THEME.background}"/>`,
    text(GAP + 4, 30, options.title, { size: 22, weight: 600 }),
    text(GAP + 4, 52, options.subtitle, { size: 13, fill: THEME.muted }),
    text(width - GAP - 4, 30, `${clock(options.from)} to ${clock(options.to)} UTC`, {
      size: 13,
      fill: THEME.muted,
      anchor: 'end',
    }),
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function drawPanel(panel: PanelSpec, results: PanelData, box: Box, options: RenderOptions): string {
  const out = [
    `<g>`,
    `<rect x="${r1(box.x)}" y="${r1(box.y)}" width="${r1(box.w)}" height="${box.h}" rx="3" fill="${THEME.panel}" stroke="${THEME.border}"/>`,
    text(box.x + 10, box.y + 20, panel.title, { size: 13, weight: 600 }),
  ];
  const inner = { x: box.x + 10, y: box.y + 30, w: box.w - 20, h: box.h - 38 };
  out.push(
    panel.kind === 'stat' ? drawStat(panel, results, inner) : drawTimeseries(panel, results, inner, options),
  );
  out.push('</g>');
  return out.join('\n');
}

function drawStat(panel: PanelSpec, results: PanelData, box: Box): string {
  const series = results.flat()[0];
  const last = series?.values.at(-1)?.[1];
  if (series === undefined || last === undefined) return noData(box);
  const red = panel.redFrom !== undefined && last >= panel.redFrom;
  const color = red ? THEME.red : THEME.green;
  const values = series.values.map(([, v]) => v);
  const max = Math.max(...values, 1e-12);
  const spark = series.values
    .map(
      ([, v], i) =>
        `${r1(box.x + (i / Math.max(1, values.length - 1)) * box.w)},${r1(box.y + box.h - (v / max) * box.h * 0.4)}`,
    )
    .join(' ');
  return [
    `<polygon points="${r1(box.x)},${r1(box.y + box.h)} ${spark} ${r1(box.x + box.w)},${r1(box.y + box.h)}" fill="${color}" fill-opacity="0.18"/>`,
    `<polyline points="${spark}" fill="none" stroke="${color}" stroke-width="1.5"/>`,
    text(box.x + box.w / 2, box.y + box.h * 0.45, formatValue(last, panel.unit), {
      size: 30,
      weight: 600,
      fill: color,
      anchor: 'middle',
    }),
  ].join('\n');
}

interface Drawn {
  name: string;
  color: string;
  points: [number, number][];
}

function drawTimeseries(panel: PanelSpec, results: PanelData, box: Box, options: RenderOptions): string {
  const drawn: Drawn[] = [];
  panel.queries.forEach((query, q) => {
    for (const series of results[q] ?? []) {
      drawn.push({
        name: legendOf(query.legend, series.labels),
        color: PALETTE[drawn.length % PALETTE.length] as string,
        points: series.values,
      });
    }
  });
  if (drawn.length === 0) return noData(box);
  // As many legend columns as the longest name leaves room for, at most three, in at most three rows.
  const longest = Math.max(...drawn.map((d) => d.name.length));
  const columns = Math.max(1, Math.min(3, Math.floor(box.w / (longest * 6.2 + 24))));
  const legendRows = Math.min(3, Math.ceil(drawn.length / columns));
  const legendHeight = legendRows * 15 + 4;
  const plot = { x: box.x + 62, y: box.y + 4, w: box.w - 66, h: box.h - legendHeight - 22 };
  const stacked = panel.stacked === true ? stack(drawn) : drawn.map((d) => ({ ...d, base: undefined }));
  const top = Math.max(...stacked.flatMap((d) => d.points.map(([, v]) => v)), 0);
  // Durations get ticks in whole days, hours or minutes, as Grafana draws them.
  const scale = panel.unit === 'dtdurations' ? durationScale(top) : 1;
  const yMax = niceCeiling(top / scale) * scale;
  const sx = (t: number) => plot.x + ((t - options.from) / (options.to - options.from)) * plot.w;
  const sy = (v: number) => plot.y + plot.h - (v / yMax) * plot.h;
  const out: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (yMax * i) / 4;
    const y = sy(v);
    out.push(
      `<line x1="${r1(plot.x)}" y1="${r1(y)}" x2="${r1(plot.x + plot.w)}" y2="${r1(y)}" stroke="${THEME.grid}" stroke-width="1"/>`,
    );
    out.push(
      text(plot.x - 6, y + 4, formatValue(v, panel.unit), { size: 10, fill: THEME.muted, anchor: 'end' }),
    );
  }
  const ticks = 5;
  for (let i = 0; i <= ticks; i++) {
    const t = options.from + ((options.to - options.from) * i) / ticks;
    const anchor = i === 0 ? 'start' : i === ticks ? 'end' : 'middle';
    out.push(text(sx(t), plot.y + plot.h + 14, clock(t), { size: 10, fill: THEME.muted, anchor }));
  }
  for (const d of stacked) {
    if (d.points.length === 0) continue;
    const line = d.points.map(([t, v]) => `${r1(sx(t))},${r1(sy(v))}`).join(' ');
    if (panel.stacked === true) {
      const base = (d.base ?? d.points.map(([t]) => [t, 0] as [number, number]))
        .slice()
        .reverse()
        .map(([t, v]) => `${r1(sx(t))},${r1(sy(v))}`)
        .join(' ');
      out.push(`<polygon points="${line} ${base}" fill="${d.color}" fill-opacity="0.25"/>`);
    }
    out.push(`<polyline points="${line}" fill="none" stroke="${d.color}" stroke-width="1.5"/>`);
  }
  const legendTop = plot.y + plot.h + 24;
  const columnWidth = box.w / columns;
  drawn.slice(0, legendRows * columns).forEach((d, i) => {
    const lx = box.x + (i % columns) * columnWidth;
    const ly = legendTop + Math.floor(i / columns) * 15;
    out.push(`<rect x="${r1(lx)}" y="${r1(ly - 4)}" width="12" height="3" fill="${d.color}"/>`);
    out.push(
      text(lx + 16, ly, clip(d.name, Math.floor(columnWidth / 6.2) - 3), { size: 10, fill: THEME.text }),
    );
  });
  return out.join('\n');
}

/** Each series on top of the ones before it, at their common timestamps (Grafana's "normal" stacking). */
function stack(drawn: Drawn[]): (Drawn & { base: [number, number][] | undefined })[] {
  const sums = new Map<number, number>();
  return drawn.map((d) => {
    const base = d.points.map(([t]) => [t, sums.get(t) ?? 0] as [number, number]);
    const points = d.points.map(([t, v]) => {
      const sum = (sums.get(t) ?? 0) + v;
      sums.set(t, sum);
      return [t, sum] as [number, number];
    });
    return { ...d, points, base };
  });
}

function noData(box: Box): string {
  return text(box.x + box.w / 2, box.y + box.h / 2, 'No data', {
    size: 14,
    fill: THEME.muted,
    anchor: 'middle',
  });
}

/** Grafana's legend template: `{{label}}` replaced by the series' value of that label. */
export function legendOf(template: string, labels: Record<string, string>): string {
  const name = template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, label: string) => labels[label] ?? '').trim();
  return name === '' ? '{}' : name;
}

/** A value in a Grafana unit, as its axis and stat panels print it. */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return String(value);
  switch (unit) {
    case 'percentunit':
      return `${trim(value * 100)}%`;
    case 'reqps':
      return `${trim(value)} req/s`;
    case 's':
      if (value === 0) return '0 s';
      if (value < 1e-3) return `${trim(value * 1e6)} µs`;
      if (value < 1) return `${trim(value * 1e3)} ms`;
      return `${trim(value)} s`;
    case 'bytes': {
      const units = ['B', 'KiB', 'MiB', 'GiB'];
      let v = value;
      let i = 0;
      while (v >= 1024 && i < units.length - 1) {
        v /= 1024;
        i++;
      }
      return `${trim(v)} ${units[i]}`;
    }
    case 'dtdurations':
      if (value >= 86_400) return `${trim(value / 86_400)} d`;
      if (value >= 3600) return `${trim(value / 3600)} h`;
      if (value >= 60) return `${trim(value / 60)} min`;
      return `${trim(value)} s`;
    default:
      return trim(value);
  }
}

function trim(v: number): string {
  if (v === 0) return '0';
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : 2;
  return String(Number(v.toFixed(digits)));
}

function durationScale(seconds: number): number {
  if (seconds >= 2 * 86_400) return 86_400;
  if (seconds >= 2 * 3600) return 3600;
  return seconds >= 120 ? 60 : 1;
}

/** The smallest 1, 2 or 5 times a power of ten at or above `v` (at least a tiny positive number). */
function niceCeiling(v: number): number {
  if (v <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(v));
  for (const step of [1, 2, 5, 10]) if (step * power >= v) return step * power;
  return 10 * power;
}

function clock(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().slice(11, 19);
}

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(1, max - 1))}…`;
}

function r1(n: number): string {
  return String(Math.round(n * 10) / 10);
}

function text(
  x: number,
  y: number,
  content: string,
  style: { size: number; weight?: number; fill?: string; anchor?: 'start' | 'middle' | 'end' },
): string {
  const escaped = content.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<text x="${r1(x)}" y="${r1(y)}" ${FONT} font-size="${style.size}"${style.weight ? ` font-weight="${style.weight}"` : ''} fill="${style.fill ?? THEME.text}" text-anchor="${style.anchor ?? 'start'}">${escaped}</text>`;
}
