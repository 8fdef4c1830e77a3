/**
 * Latchkey's Grafana dashboard, defined once: scripts/generate-dashboard.ts writes it to
 * charts/latchkey/dashboards/latchkey.json (shipped by the chart as a ConfigMap), and the dashboard test
 * evaluates these same queries against a real Prometheus to draw docs/images/dashboard.svg.
 *
 * Every query selects `{namespace="$namespace",job="$job"}` through {@link SEL} and uses `$__rate_interval`
 * for rates, the two Grafana variables the test substitutes.
 */

/** The series of one Latchkey deployment, chosen with the dashboard's variables. */
export const SEL = 'namespace="$namespace",job="$job"';

export interface PanelQuery {
  expr: string;
  /** Grafana's legend template, e.g. `{{reason}}`. */
  legend: string;
}

export interface PanelSpec {
  kind: 'stat' | 'timeseries';
  title: string;
  description: string;
  /** Grafana unit id: reqps, percentunit, s, bytes, short, none, dtdurations. */
  unit: string;
  /** Width in Grafana's 24-column grid. */
  width: number;
  queries: PanelQuery[];
  /** For a stat: the value at or above which it turns red (green below). */
  redFrom?: number;
  /** Timeseries drawn as stacked areas. */
  stacked?: boolean;
}

export interface RowSpec {
  title: string;
  /** Height of this row's panels in grid units. */
  height: number;
  panels: PanelSpec[];
}

const rate = (metric: string, extra = '') =>
  `rate(${metric}{${SEL}${extra === '' ? '' : `,${extra}`}}[$__rate_interval])`;

const ISSUED = `sum(${rate('latchkey_tokens_issued_total')})`;
const REFUSED = `sum(${rate('latchkey_token_failures_total')})`;
const TOKEN_ROUTE = 'route=~".*/oauth2/token"';

export const ROWS: readonly RowSpec[] = [
  {
    title: 'Overview',
    height: 4,
    panels: [
      {
        kind: 'stat',
        title: 'Tokens issued',
        description: 'Access tokens issued per second, every grant type.',
        unit: 'reqps',
        width: 4,
        queries: [{ expr: `${ISSUED} or vector(0)`, legend: 'issued' }],
      },
      {
        kind: 'stat',
        title: 'Refused',
        description:
          'Share of token requests refused (latchkey_token_failures_total over all token requests).',
        unit: 'percentunit',
        width: 4,
        redFrom: 0.1,
        queries: [
          {
            expr: `(${REFUSED} or vector(0)) / clamp_min((${REFUSED} or vector(0)) + (${ISSUED} or vector(0)), 1e-9)`,
            legend: 'refused',
          },
        ],
      },
      {
        kind: 'stat',
        title: 'Objects not Ready',
        description: 'Declared objects whose Ready condition is not True (latchkey_objects_not_ready).',
        unit: 'short',
        width: 4,
        redFrom: 1,
        queries: [
          {
            expr: `sum(max by (kind, reason) (latchkey_objects_not_ready{${SEL}})) or vector(0)`,
            legend: 'not ready',
          },
        ],
      },
      {
        kind: 'stat',
        title: 'Failing Connections',
        description: 'Connections whose last issuer check failed (latchkey_connections_failing).',
        unit: 'short',
        width: 4,
        redFrom: 1,
        queries: [
          {
            expr: `sum(max by (connection_namespace) (latchkey_connections_failing{${SEL}})) or vector(0)`,
            legend: 'failing',
          },
        ],
      },
      {
        kind: 'stat',
        title: 'Runtime state up',
        description: 'Replicas whose runtime state answers, of those scraped (latchkey_state_up).',
        unit: 'percentunit',
        width: 4,
        queries: [{ expr: `avg(latchkey_state_up{${SEL}})`, legend: 'up' }],
      },
      {
        kind: 'stat',
        title: 'Leader',
        description:
          'Replicas holding the leader Lease (leader_election_master_status); 0 in dev mode, which has no Lease.',
        unit: 'short',
        width: 4,
        queries: [{ expr: `sum(leader_election_master_status{${SEL}}) or vector(0)`, legend: 'leaders' }],
      },
    ],
  },
  {
    title: 'Token endpoint',
    height: 8,
    panels: [
      {
        kind: 'timeseries',
        title: 'Tokens issued by grant type',
        description: 'latchkey_tokens_issued_total per second.',
        unit: 'reqps',
        width: 8,
        stacked: true,
        queries: [
          { expr: `sum by (grant_type) (${rate('latchkey_tokens_issued_total')})`, legend: '{{grant_type}}' },
        ],
      },
      {
        kind: 'timeseries',
        title: 'Refusals by reason',
        description:
          'latchkey_token_failures_total per second by reason: the OAuth error and, after the slash, why (docs/metrics.md lists them).',
        unit: 'reqps',
        width: 8,
        stacked: true,
        queries: [
          { expr: `sum by (reason) (${rate('latchkey_token_failures_total')})`, legend: '{{reason}}' },
        ],
      },
      {
        kind: 'timeseries',
        title: 'Refusals by client (top 10)',
        description:
          'Refusals per second by client: a client in effect by its id; every id that names no client is "unknown".',
        unit: 'reqps',
        width: 8,
        queries: [
          {
            expr: `topk(10, sum by (client) (${rate('latchkey_token_failures_total')}))`,
            legend: '{{client}}',
          },
        ],
      },
      {
        kind: 'timeseries',
        title: 'Token endpoint latency',
        description: 'Quantiles of latchkey_http_request_duration_seconds for the token endpoint.',
        unit: 's',
        width: 12,
        queries: [
          {
            expr: `histogram_quantile(0.5, sum by (le) (${rate('latchkey_http_request_duration_seconds_bucket', TOKEN_ROUTE)}))`,
            legend: 'p50',
          },
          {
            expr: `histogram_quantile(0.99, sum by (le) (${rate('latchkey_http_request_duration_seconds_bucket', TOKEN_ROUTE)}))`,
            legend: 'p99',
          },
        ],
      },
      {
        kind: 'timeseries',
        title: 'HTTP responses by status',
        description: 'latchkey_http_requests_total per second on the token port, by status code.',
        unit: 'reqps',
        width: 12,
        stacked: true,
        queries: [
          { expr: `sum by (status) (${rate('latchkey_http_requests_total')})`, legend: '{{status}}' },
        ],
      },
    ],
  },
  {
    title: 'Declared objects',
    height: 8,
    panels: [
      {
        kind: 'timeseries',
        title: 'Objects not Ready by kind and reason',
        description: 'latchkey_objects_not_ready; docs/troubleshooting.md explains each reason.',
        unit: 'short',
        width: 8,
        stacked: true,
        queries: [
          {
            expr: `max by (kind, reason) (latchkey_objects_not_ready{${SEL}})`,
            legend: '{{kind}} {{reason}}',
          },
        ],
      },
      {
        kind: 'timeseries',
        title: 'Objects by kind',
        description: 'latchkey_objects: what the store compiled.',
        unit: 'short',
        width: 8,
        queries: [{ expr: `max by (kind) (latchkey_objects{${SEL}})`, legend: '{{kind}}' }],
      },
      {
        kind: 'timeseries',
        title: 'Signing key age',
        description:
          'latchkey_signing_key_age_seconds per algorithm against latchkey_signing_key_rotation_interval_seconds.',
        unit: 'dtdurations',
        width: 8,
        queries: [
          { expr: `max by (alg) (latchkey_signing_key_age_seconds{${SEL}})`, legend: '{{alg}}' },
          {
            expr: `max(latchkey_signing_key_rotation_interval_seconds{${SEL}})`,
            legend: 'rotation interval',
          },
        ],
      },
    ],
  },
  {
    title: 'Runtime state and controllers',
    height: 8,
    panels: [
      {
        kind: 'timeseries',
        title: 'Runtime state records',
        description: 'latchkey_state_records by kind (expired ones included until the cleaner removes them).',
        unit: 'short',
        width: 8,
        queries: [{ expr: `max by (kind) (latchkey_state_records{${SEL}})`, legend: '{{kind}}' }],
      },
      {
        kind: 'timeseries',
        title: 'Reconciles by result',
        description: 'controller_runtime_reconcile_total per second (operator only).',
        unit: 'reqps',
        width: 8,
        stacked: true,
        queries: [
          {
            expr: `sum by (controller, result) (${rate('controller_runtime_reconcile_total')})`,
            legend: '{{controller}} {{result}}',
          },
        ],
      },
      {
        kind: 'timeseries',
        title: 'Resident memory',
        description: 'process_resident_memory_bytes per replica.',
        unit: 'bytes',
        width: 8,
        queries: [{ expr: `process_resident_memory_bytes{${SEL}}`, legend: '{{pod}}{{instance}}' }],
      },
    ],
  },
];
