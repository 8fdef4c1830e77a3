/**
 * The picture of the dashboard in docs/metrics.md, drawn from real data (issue 16, item 4): `latchkey dev` serves
 * the examples, a real Prometheus scrapes it every second with the chart's alerting rules loaded, token requests
 * come in (some refused for several reasons, some from client ids nobody declared), a manifest is broken and
 * repaired, and then every query of the dashboard is evaluated through Prometheus's query API and drawn.
 *
 * The SVG goes to .latchkey/test-output/dashboard.svg; with LATCHKEY_UPDATE_DOCS=1 also to
 * docs/images/dashboard.svg. Grafana itself does not run here: scripts/dashboard/render-svg.ts draws the panels.
 */
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ROWS, type PanelSpec } from '../../scripts/dashboard/panels.ts';
import { renderDashboardSvg, type PanelData } from '../../scripts/dashboard/render-svg.ts';
import { parseDevArgs } from '../../src/dev/config.ts';
import { startDev, type DevServer } from '../../src/dev/run.ts';
import { EventBus } from '../../src/events.ts';
import { helmBinary, HELM_BUILD_TIMEOUT_MS, one, render } from '../chart/helm.ts';
import {
  PROMETHEUS_BUILD_TIMEOUT_MS,
  prometheusTools,
  startPrometheus,
  type RunningPrometheus,
} from '../support/prometheus.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
const NAMESPACE = 'latchkey-docs';
const JOB = 'latchkey';
/** Grafana's `$__rate_interval` for a 1 s scrape, rounded up so the curves read at a glance. */
const RATE_INTERVAL = '10s';
const PHASE_MS = { quiet: 15_000, refusals: 20_000, broken: 20_000, repaired: 15_000 };

let dir: string;
let dev: DevServer;
let prometheus: RunningPrometheus;
let manifests: string;

beforeAll(async () => {
  await Promise.all([prometheusTools(), helmBinary()]);
  dir = await mkdtemp(join(tmpdir(), 'latchkey-dashboard-'));
  manifests = join(dir, 'manifests');
  await cp(join(ROOT, 'examples'), manifests, { recursive: true });
  dev = await startDev(
    parseDevArgs(
      [
        '--manifests',
        manifests,
        '--state-dir',
        join(dir, 'state'),
        '--port',
        '0',
        '--ops-port',
        '0',
        '--no-watch',
      ],
      dir,
    ),
    new EventBus(),
  );
  const objects = await render({
    set: {
      'prometheusRule.enabled': true,
      'prometheusRule.selector': `namespace="${NAMESPACE}",job="${JOB}"`,
    },
    showOnly: ['templates/prometheusrule.yaml'],
  });
  prometheus = await startPrometheus({
    target: `127.0.0.1:${dev.opsPort}`,
    targetLabels: { namespace: NAMESPACE, job: JOB },
    scrapeInterval: '1s',
    rules: [stringify(one(objects, 'PrometheusRule')['spec'])],
  });
}, PROMETHEUS_BUILD_TIMEOUT_MS + HELM_BUILD_TIMEOUT_MS);

afterAll(async () => {
  await prometheus?.stop();
  await dev?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function secretOf(namespace: string, name: string): Promise<{ id: string; secret: string }> {
  const doc = parse(await readFile(join(dir, 'state', 'secrets', namespace, `${name}.yaml`), 'utf8')) as {
    data: Record<string, string>;
  };
  const text = (key: string) => Buffer.from(doc.data[key] ?? '', 'base64').toString();
  return { id: text('client_id'), secret: text('client_secret') };
}

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function token(body: Record<string, string>, authorization?: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${dev.port}/oauth2/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: new URLSearchParams(body),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Sends `tick` every 200 ms for `ms`. */
async function traffic(ms: number, tick: (n: number) => Promise<unknown>): Promise<void> {
  const end = Date.now() + ms;
  for (let n = 0; Date.now() < end; n++) {
    await Promise.all([tick(n), sleep(200)]);
  }
}

function expand(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', RATE_INTERVAL)
    .replaceAll('$namespace', NAMESPACE)
    .replaceAll('$job', JOB);
}

async function panelData(panel: PanelSpec, from: number, to: number): Promise<PanelData> {
  return Promise.all(
    panel.queries.map(async (q) =>
      (await prometheus.queryRange(expand(q.expr), from, to, 1)).map((s) => ({
        labels: s.metric,
        values: s.values.map(([t, v]) => [t, Number(v)] as [number, number]),
      })),
    ),
  );
}

const panelNamed = (title: string) => {
  for (const [r, row] of ROWS.entries()) {
    const p = row.panels.findIndex((x) => x.title === title);
    if (p !== -1) return [r, p] as const;
  }
  throw new Error(`no panel ${title}`);
};

describe('the dashboard on a run of latchkey dev with real traffic', () => {
  it('shows tokens, refusals by reason and client, and objects going not Ready and back', async () => {
    const orders = await secretOf('orders', 'orders-service-oauth');
    const payments = await secretOf('payments', 'payments-service-oauth');
    const good = (n: number) =>
      Promise.all([
        token({ grant_type: 'client_credentials' }, basic(orders.id, orders.secret)),
        n % 2 === 0
          ? token({
              grant_type: 'client_credentials',
              client_id: payments.id,
              client_secret: payments.secret,
            })
          : undefined,
      ]);
    const start = Math.floor(Date.now() / 1000);

    await traffic(PHASE_MS.quiet, async (n) => {
      await good(n);
      if (n % 5 === 0)
        await token(
          { grant_type: 'client_credentials', scope: 'payments:refund' },
          basic(orders.id, orders.secret),
        );
    });
    await traffic(PHASE_MS.refusals, async (n) => {
      await good(n);
      if (n % 2 === 0) {
        await token({
          grant_type: 'client_credentials',
          client_id: payments.id,
          client_secret: 'rotated-away',
        });
      }
      await token({ grant_type: 'client_credentials' }, basic(`scanner-${n}.nowhere`, 'guess'));
    });

    // A Role names a scope its API does not declare, then the change is reverted.
    const file = join(manifests, 'two-services', 'payments.yaml');
    const original = await readFile(file, 'utf8');
    await writeFile(
      file,
      original.replace(
        "scopes: ['payments:read', 'payments:charge']",
        "scopes: ['payments:read', 'payments:void']",
      ),
    );
    await dev.reload();
    const brokenAt = Date.now();
    let pendingAlert = false;
    await traffic(PHASE_MS.broken, async (n) => {
      await good(n);
      if (!pendingAlert && Date.now() - brokenAt > 5_000) {
        pendingAlert = (await prometheus.alerts()).some(
          (a) =>
            a.labels['alertname'] === 'LatchkeyObjectsNotReady' && a.labels['reason'] === 'ScopeNotDeclared',
        );
      }
    });
    await writeFile(file, original);
    await dev.reload();
    await traffic(PHASE_MS.repaired, good);
    await sleep(3_000);
    const end = Math.floor(Date.now() / 1000);

    const data = await Promise.all(
      ROWS.map((row) => Promise.all(row.panels.map((p) => panelData(p, start, end)))),
    );
    const at = (title: string) => {
      const [r, p] = panelNamed(title);
      return data[r]?.[p] ?? [];
    };
    const labelValues = (title: string, label: string) =>
      new Set(at(title).flatMap((q) => q.map((s) => s.labels[label])));
    const peak = (title: string) =>
      Math.max(0, ...at(title).flatMap((q) => q.flatMap((s) => s.values.map(([, v]) => v))));
    const last = (title: string) => at(title)[0]?.[0]?.values.at(-1)?.[1];

    expect(labelValues('Tokens issued by grant type', 'grant_type')).toEqual(new Set(['client_credentials']));
    expect(peak('Tokens issued by grant type')).toBeGreaterThan(3);
    expect(labelValues('Refusals by reason', 'reason')).toEqual(
      new Set(['invalid_scope', 'invalid_client/bad_secret', 'invalid_client/unknown_client']),
    );
    // The made-up client ids share one series; the real clients are named.
    expect(labelValues('Refusals by client (top 10)', 'client')).toEqual(
      new Set([orders.id, payments.id, 'unknown']),
    );
    expect(peak('Refused')).toBeGreaterThan(0.3);
    expect(labelValues('Objects not Ready by kind and reason', 'reason')).toContain('ScopeNotDeclared');
    const notReady = at('Objects not Ready by kind and reason')[0] ?? [];
    const scope = notReady.find((s) => s.labels['reason'] === 'ScopeNotDeclared');
    expect(Math.max(...(scope?.values.map(([, v]) => v) ?? [0]))).toBeGreaterThan(0);
    expect(scope?.values.at(-1)?.[1]).toBe(0);
    expect(pendingAlert).toBe(true);
    expect(labelValues('Signing key age', 'alg')).toEqual(new Set(['RS256', 'ES256', 'EdDSA', undefined]));
    expect(last('Runtime state up')).toBe(1);
    expect(peak('Token endpoint latency')).toBeGreaterThan(0);

    const svg = renderDashboardSvg(ROWS, data, {
      title: 'Latchkey',
      subtitle: `latchkey dev on the examples, scraped every second by Prometheus; rates over ${RATE_INTERVAL}. Drawn by test/docs/dashboard.test.ts.`,
      from: start,
      to: end,
    });
    for (const row of ROWS) for (const panel of row.panels) expect(svg).toContain(`>${panel.title}</text>`);
    const output = join(ROOT, '.latchkey', 'test-output');
    await mkdir(output, { recursive: true });
    await writeFile(join(output, 'dashboard.svg'), svg);
    if (process.env['LATCHKEY_UPDATE_DOCS'] === '1') {
      await mkdir(join(ROOT, 'docs', 'images'), { recursive: true });
      await writeFile(join(ROOT, 'docs', 'images', 'dashboard.svg'), svg);
    }
  }, 240_000);
});
