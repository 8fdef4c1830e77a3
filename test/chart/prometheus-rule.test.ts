/**
 * The chart's PrometheusRule and Grafana dashboard (issue 16, item 4), checked with the real promtool: the
 * rendered rules pass `promtool check rules`, each alert fires on the series it is meant for and stays quiet
 * otherwise (`promtool test rules`), every dashboard query parses as PromQL, and every metric either names is one
 * docs/metrics.md lists.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { dashboardJson, DASHBOARD_FILE } from '../../scripts/generate-dashboard.ts';
import { ROWS } from '../../scripts/dashboard/panels.ts';
import { documentedMetrics } from '../support/metrics-doc.ts';
import { PROMETHEUS_BUILD_TIMEOUT_MS, prometheusTools, promtool } from '../support/prometheus.ts';
import {
  HELM_BUILD_TIMEOUT_MS,
  helmBinary,
  inventory,
  one,
  render,
  renderError,
  type Manifest,
} from './helm.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const NS = 'latchkey-system';
const JOB = 'latchkey-metrics';
const SEL = `namespace="${NS}",job="${JOB}"`;

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
type RuleGroups = { groups: { name: string; rules: Rule[] }[] };

let dir: string;
let objects: Manifest[];
let groups: RuleGroups;
let documented: Set<string>;

beforeAll(async () => {
  await Promise.all([helmBinary(), prometheusTools()]);
  dir = await mkdtemp(join(tmpdir(), 'latchkey-rules-'));
  objects = await render({ set: { 'prometheusRule.enabled': true, 'grafanaDashboard.enabled': true } });
  groups = one(objects, 'PrometheusRule')['spec'] as RuleGroups;
  documented = new Set(documentedMetrics(await readFile(join(ROOT, 'docs/metrics.md'), 'utf8')).keys());
}, HELM_BUILD_TIMEOUT_MS + PROMETHEUS_BUILD_TIMEOUT_MS);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

const rules = () => groups.groups.flatMap((g) => g.rules);

/** The metric names an expression selects: every identifier followed by `{`. */
function selectedMetrics(expr: string): string[] {
  return [...expr.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)\{/g)].map((m) => m[1] as string);
}

/** A histogram's series name without its `_bucket`, `_sum` or `_count` suffix. */
const family = (name: string) => name.replace(/_(bucket|sum|count)$/, '');

describe('the chart with prometheusRule and grafanaDashboard enabled', () => {
  it('adds a PrometheusRule and a dashboard ConfigMap to the default objects', async () => {
    const plain = inventory(await render());
    expect(inventory(objects).filter((o) => !plain.includes(o))).toEqual([
      'ConfigMap latchkey-system/latchkey-dashboard',
      'PrometheusRule latchkey-system/latchkey',
    ]);
  });
});

describe('the monitoring values', () => {
  it.each([
    ['prometheusRule.tokenErrorRatio', 2, "at '/prometheusRule/tokenErrorRatio'"],
    ['prometheusRule.notReadyFor', '1.5h', "at '/prometheusRule/notReadyFor'"],
    ['prometheusRule.sever', 'x', "additional properties 'sever' not allowed"],
    ['grafanaDashboard.label', '', "at '/grafanaDashboard/label'"],
  ])('refuses %s: %j', async (key, value, message) => {
    expect(await renderError({ set: { [key]: value } })).toContain(message);
  });

  it("lets a release put the alerts on its own series and the dashboard in Grafana's namespace", async () => {
    const custom = await render({
      set: {
        'prometheusRule.enabled': true,
        'prometheusRule.selector': 'cluster="eu-1",job="auth"',
        'grafanaDashboard.enabled': true,
        'grafanaDashboard.namespace': 'monitoring',
      },
    });
    const rule = (one(custom, 'PrometheusRule')['spec'] as RuleGroups).groups[0]?.rules[0];
    expect(rule?.expr).toContain('latchkey_token_failures_total{cluster="eu-1",job="auth"}');
    expect(one(custom, 'ConfigMap', 'latchkey-dashboard').metadata.namespace).toBe('monitoring');
  });
});

describe('PrometheusRule', () => {
  it('passes promtool check rules', async () => {
    const file = join(dir, 'rules.yaml');
    await writeFile(file, stringify(groups));
    const { code, output } = await promtool(['check', 'rules', file]);
    expect(output).toContain(`SUCCESS: ${rules().length} rules found`);
    expect(code).toBe(0);
  });

  it('has the alerts docs/metrics.md describes, each with a runbook link to its section', async () => {
    const page = await readFile(join(ROOT, 'docs/metrics.md'), 'utf8');
    const sections = [...page.matchAll(/^### (Latchkey\w+)$/gm)].map((m) => m[1]);
    expect(rules().map((r) => r.alert)).toEqual(sections);
    for (const rule of rules()) {
      expect(rule.annotations?.['runbook_url']).toBe(
        `https://github.com/latchkey-dev/latchkey/blob/main/docs/metrics.md#${rule.alert.toLowerCase()}`,
      );
      expect(page).toContain(`[${rule.alert}](#${rule.alert.toLowerCase()})`);
    }
  });

  it('selects only the release series, and only metrics docs/metrics.md lists', () => {
    for (const rule of rules()) {
      const names = selectedMetrics(rule.expr);
      expect(names.length).toBeGreaterThan(0);
      for (const name of names)
        expect({ alert: rule.alert, name, documented: documented.has(name) }).toMatchObject({
          documented: true,
        });
      const selectors = [...rule.expr.matchAll(/\{([^}]*)\}/g)].map((m) => m[1] as string);
      for (const s of selectors) expect(s.startsWith(SEL)).toBe(true);
    }
  });

  it('fires each alert on the series it is meant for, and on no other (promtool test rules)', async () => {
    // The expressions as rendered; annotations left out, since what is tested here is when each alert fires.
    const bare = {
      groups: groups.groups.map((g) => ({
        name: g.name,
        rules: g.rules.map(({ annotations: _, ...rule }) => rule),
      })),
    };
    await writeFile(join(dir, 'bare-rules.yaml'), stringify(bare));
    await writeFile(join(dir, 'tests.yaml'), stringify(ALERT_TESTS));
    const { code, output } = await promtool(['test', 'rules', 'tests.yaml'], dir);
    expect(output).toContain('SUCCESS');
    expect(code).toBe(0);
  });
});

const s = (metric: string, labels: Record<string, string> = {}) =>
  `${metric}{${[SEL, ...Object.entries(labels).map(([k, v]) => `${k}="${v}"`)].join(',')}}`;
const release = { namespace: NS, job: JOB };
const none: never[] = [];

/** One promtool unit test per situation; intervals of a minute, rates over 5 minutes as the rules take them. */
const ALERT_TESTS = {
  rule_files: ['bare-rules.yaml'],
  evaluation_interval: '1m',
  tests: [
    {
      name: 'a third of token requests refused',
      interval: '1m',
      input_series: [
        {
          series: s('latchkey_tokens_issued_total', { grant_type: 'client_credentials' }),
          values: '0+60x40',
        },
        {
          series: s('latchkey_token_failures_total', {
            grant_type: 'client_credentials',
            error: 'invalid_client',
            reason: 'invalid_client/bad_secret',
            client: 'billing-worker.billing',
          }),
          values: '0+30x40',
        },
        // Another release's refusals are not this one's.
        {
          series:
            'latchkey_token_failures_total{namespace="other",job="latchkey-metrics",reason="invalid_scope"}',
          values: '0+600x40',
        },
      ],
      alert_rule_test: [
        { eval_time: '5m', alertname: 'LatchkeyTokenErrorRatioHigh', exp_alerts: none },
        {
          eval_time: '20m',
          alertname: 'LatchkeyTokenErrorRatioHigh',
          exp_alerts: [{ exp_labels: { ...release, severity: 'warning' } }],
        },
        { eval_time: '20m', alertname: 'LatchkeyTokenServerErrors', exp_alerts: none },
      ],
    },
    {
      name: 'every request refused and none ever issued',
      interval: '1m',
      input_series: [
        {
          series: s('latchkey_token_failures_total', { reason: 'invalid_client/unknown_client' }),
          values: '0+6x40',
        },
      ],
      alert_rule_test: [
        {
          eval_time: '20m',
          alertname: 'LatchkeyTokenErrorRatioHigh',
          exp_alerts: [{ exp_labels: { ...release, severity: 'warning' } }],
        },
      ],
    },
    {
      name: 'a few refusals on a quiet server',
      interval: '1m',
      input_series: [
        { series: s('latchkey_tokens_issued_total', { grant_type: 'client_credentials' }), values: '0+6x40' },
        { series: s('latchkey_token_failures_total', { reason: 'invalid_scope' }), values: '0+1x40' },
      ],
      alert_rule_test: [{ eval_time: '30m', alertname: 'LatchkeyTokenErrorRatioHigh', exp_alerts: none }],
    },
    {
      name: 'server errors',
      interval: '1m',
      input_series: [
        {
          series: s('latchkey_token_failures_total', {
            error: 'server_error',
            reason: 'server_error/no_signing_key',
          }),
          values: '0+1x20',
        },
      ],
      alert_rule_test: [
        { eval_time: '3m', alertname: 'LatchkeyTokenServerErrors', exp_alerts: none },
        {
          eval_time: '10m',
          alertname: 'LatchkeyTokenServerErrors',
          exp_alerts: [
            { exp_labels: { ...release, reason: 'server_error/no_signing_key', severity: 'warning' } },
          ],
        },
      ],
    },
    {
      name: 'objects not Ready for long, on two replicas',
      interval: '1m',
      input_series: [
        {
          series: s('latchkey_objects_not_ready', { pod: 'a', kind: 'OAuthClient', reason: 'SecretMissing' }),
          values: '2x40',
        },
        {
          series: s('latchkey_objects_not_ready', { pod: 'b', kind: 'OAuthClient', reason: 'SecretMissing' }),
          values: '2x40',
        },
        {
          series: s('latchkey_objects_not_ready', { pod: 'a', kind: 'Role', reason: 'ScopeNotDeclared' }),
          values: '0x40',
        },
      ],
      alert_rule_test: [
        { eval_time: '20m', alertname: 'LatchkeyObjectsNotReady', exp_alerts: none },
        {
          eval_time: '35m',
          alertname: 'LatchkeyObjectsNotReady',
          exp_alerts: [
            { exp_labels: { ...release, kind: 'OAuthClient', reason: 'SecretMissing', severity: 'warning' } },
          ],
        },
      ],
    },
    {
      name: 'a failing Connection',
      interval: '1m',
      input_series: [
        {
          series: s('latchkey_connections_failing', { pod: 'a', connection_namespace: 'platform' }),
          values: '1x30',
        },
        {
          series: s('latchkey_connections_failing', { pod: 'a', connection_namespace: 'ci' }),
          values: '0x30',
        },
      ],
      alert_rule_test: [
        { eval_time: '10m', alertname: 'LatchkeyConnectionFailing', exp_alerts: none },
        {
          eval_time: '20m',
          alertname: 'LatchkeyConnectionFailing',
          exp_alerts: [{ exp_labels: { ...release, connection_namespace: 'platform', severity: 'warning' } }],
        },
      ],
    },
    {
      name: 'a signing key past its rotation interval and the margin',
      interval: '1m',
      input_series: [
        { series: s('latchkey_signing_key_rotation_interval_seconds', { pod: 'a' }), values: '2592000x30' },
        // 30 days, 6 hours and 1 minute: past the default margin of 6 hours.
        {
          series: s('latchkey_signing_key_age_seconds', { pod: 'a', alg: 'RS256' }),
          values: '2613660+60x30',
        },
        // 30 days and 5 hours: late, but within the margin.
        {
          series: s('latchkey_signing_key_age_seconds', { pod: 'a', alg: 'ES256' }),
          values: '2610000+60x30',
        },
        { series: s('latchkey_signing_key_age_seconds', { pod: 'a', alg: 'EdDSA' }), values: '1000+60x30' },
      ],
      alert_rule_test: [
        {
          eval_time: '1m',
          alertname: 'LatchkeySigningKeyNotRotated',
          exp_alerts: [{ exp_labels: { ...release, alg: 'RS256', severity: 'warning' } }],
        },
      ],
    },
    {
      name: 'one replica whose runtime state is down',
      interval: '1m',
      input_series: [
        { series: s('latchkey_state_up', { pod: 'a', backend: 'postgres' }), values: '1 1 0x10' },
        { series: s('latchkey_state_up', { pod: 'b', backend: 'postgres' }), values: '1x12' },
      ],
      alert_rule_test: [
        { eval_time: '3m', alertname: 'LatchkeyRuntimeStateDown', exp_alerts: none },
        {
          eval_time: '6m',
          alertname: 'LatchkeyRuntimeStateDown',
          exp_alerts: [{ exp_labels: { ...release, pod: 'a', backend: 'postgres', severity: 'critical' } }],
        },
      ],
    },
    {
      name: 'no replica leads',
      interval: '1m',
      input_series: [
        {
          series: s('leader_election_master_status', { pod: 'a', name: 'latchkey-operator' }),
          values: '1 0x10',
        },
        {
          series: s('leader_election_master_status', { pod: 'b', name: 'latchkey-operator' }),
          values: '0x11',
        },
      ],
      alert_rule_test: [
        { eval_time: '3m', alertname: 'LatchkeyNoLeader', exp_alerts: none },
        {
          eval_time: '8m',
          alertname: 'LatchkeyNoLeader',
          exp_alerts: [{ exp_labels: { ...release, severity: 'warning' } }],
        },
      ],
    },
    {
      name: 'a healthy release',
      interval: '1m',
      input_series: [
        {
          series: s('leader_election_master_status', { pod: 'a', name: 'latchkey-operator' }),
          values: '1x20',
        },
        {
          series: s('leader_election_master_status', { pod: 'b', name: 'latchkey-operator' }),
          values: '0x20',
        },
        { series: s('latchkey_state_up', { pod: 'a', backend: 'embedded' }), values: '1x20' },
        {
          series: s('latchkey_tokens_issued_total', { grant_type: 'client_credentials' }),
          values: '0+60x20',
        },
        { series: s('latchkey_signing_key_rotation_interval_seconds', { pod: 'a' }), values: '2592000x20' },
        { series: s('latchkey_signing_key_age_seconds', { pod: 'a', alg: 'RS256' }), values: '5000+60x20' },
      ],
      alert_rule_test: [
        'LatchkeyTokenErrorRatioHigh',
        'LatchkeyTokenServerErrors',
        'LatchkeyObjectsNotReady',
        'LatchkeyConnectionFailing',
        'LatchkeySigningKeyNotRotated',
        'LatchkeyRuntimeStateDown',
        'LatchkeyNoLeader',
      ].map((alertname) => ({ eval_time: '15m', alertname, exp_alerts: none })),
    },
  ],
};

describe('Grafana dashboard', () => {
  it('is committed as scripts/generate-dashboard.ts writes it (run `node scripts/generate-dashboard.ts`)', async () => {
    expect(await readFile(DASHBOARD_FILE, 'utf8')).toBe(dashboardJson());
  });

  it('ships in a ConfigMap the Grafana sidecar picks up', async () => {
    const configMap = one(objects, 'ConfigMap', 'latchkey-dashboard');
    expect(configMap.metadata.labels?.['grafana_dashboard']).toBe('1');
    expect((configMap['data'] as Record<string, string>)['latchkey.json']).toBe(dashboardJson().trimEnd());
  });

  it('refers only to metrics docs/metrics.md lists', () => {
    const exprs = ROWS.flatMap((r) => r.panels.flatMap((p) => p.queries.map((q) => q.expr)));
    const names = new Set(exprs.flatMap(selectedMetrics).map(family));
    expect([...names].filter((n) => !documented.has(n) && !/^(process|nodejs)_/.test(n))).toEqual([]);
    expect(names.size).toBeGreaterThan(10);
  });

  it('has queries that parse as PromQL (each checked by promtool as a recording rule)', async () => {
    const recorded = ROWS.flatMap((r) => r.panels).flatMap((p, i) =>
      p.queries.map((q, j) => ({
        record: `dashboard:panel_${i}_${j}`,
        expr: q.expr
          .replaceAll('$__rate_interval', '1m')
          .replaceAll('$namespace', NS)
          .replaceAll('$job', JOB),
      })),
    );
    const file = join(dir, 'dashboard-rules.yaml');
    await writeFile(file, stringify({ groups: [{ name: 'dashboard', rules: recorded }] }));
    const { code, output } = await promtool(['check', 'rules', file]);
    expect(output).toContain(`SUCCESS: ${recorded.length} rules found`);
    expect(code).toBe(0);
  });
});
