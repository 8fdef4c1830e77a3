// Writes charts/latchkey/dashboards/latchkey.json, Latchkey's Grafana dashboard, from scripts/dashboard/panels.ts.
// The chart ships it as a ConfigMap (grafanaDashboard.enabled); a test fails when the committed file differs.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROWS, type PanelSpec } from './dashboard/panels.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
export const DASHBOARD_FILE = join(root, 'charts/latchkey/dashboards/latchkey.json');

const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };

function variable(name: string, label: string, query: string): Record<string, unknown> {
  return {
    name,
    label,
    type: 'query',
    datasource: DATASOURCE,
    query: { query, refId: name },
    definition: query,
    refresh: 2,
    sort: 1,
    current: {},
    options: [],
    hide: 0,
    includeAll: false,
    multi: false,
  };
}

function panel(spec: PanelSpec, id: number, x: number, y: number, h: number): Record<string, unknown> {
  const steps =
    spec.redFrom === undefined
      ? [{ color: 'green', value: null }]
      : [
          { color: 'green', value: null },
          { color: 'red', value: spec.redFrom },
        ];
  const common = {
    id,
    type: spec.kind,
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos: { h, w: spec.width, x, y },
    targets: spec.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: q.expr,
      legendFormat: q.legend,
      range: true,
    })),
  };
  if (spec.kind === 'stat') {
    return {
      ...common,
      fieldConfig: {
        defaults: { unit: spec.unit, thresholds: { mode: 'absolute', steps }, color: { mode: 'thresholds' } },
        overrides: [],
      },
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: 'value',
        graphMode: 'area',
        textMode: 'value',
      },
    };
  }
  return {
    ...common,
    fieldConfig: {
      defaults: {
        unit: spec.unit,
        min: 0,
        custom: {
          drawStyle: 'line',
          lineWidth: 1,
          fillOpacity: spec.stacked ? 25 : 0,
          stacking: { mode: spec.stacked ? 'normal' : 'none', group: 'A' },
          showPoints: 'never',
        },
      },
      overrides: [],
    },
    options: {
      legend: { displayMode: 'list', placement: 'bottom', showLegend: true },
      tooltip: { mode: 'multi', sort: 'desc' },
    },
  };
}

/** The dashboard model (Grafana schema 39): one row per {@link ROWS} entry, its panels laid left to right. */
export function dashboard(): Record<string, unknown> {
  const panels: Record<string, unknown>[] = [];
  let id = 1;
  let y = 0;
  for (const row of ROWS) {
    panels.push({
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y },
      panels: [],
    });
    y += 1;
    let x = 0;
    for (const spec of row.panels) {
      if (x + spec.width > 24) {
        x = 0;
        y += row.height;
      }
      panels.push(panel(spec, id++, x, y, row.height));
      x += spec.width;
    }
    y += row.height;
  }
  return {
    title: 'Latchkey',
    uid: 'latchkey',
    description:
      'Tokens, refusals, declared objects, signing keys and runtime state of Latchkey (docs/metrics.md).',
    tags: ['latchkey', 'oauth2'],
    editable: true,
    graphTooltip: 1,
    refresh: '30s',
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-3h', to: 'now' },
    timepicker: {},
    annotations: { list: [] },
    links: [],
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Data source',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
          options: [],
          refresh: 1,
        },
        variable('namespace', 'Namespace', 'label_values(latchkey_objects, namespace)'),
        variable('job', 'Job', 'label_values(latchkey_objects{namespace="$namespace"}, job)'),
      ],
    },
    panels,
  };
}

/** The file's content: the model as two-space JSON with a final newline. */
export function dashboardJson(): string {
  return `${JSON.stringify(dashboard(), null, 2)}\n`;
}

if (import.meta.main) {
  await writeFile(DASHBOARD_FILE, dashboardJson());
  console.log(`wrote ${DASHBOARD_FILE}`);
}
