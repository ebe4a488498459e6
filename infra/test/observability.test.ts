/**
 * The Grafana dashboard and the alert rules read only metrics the services really expose.
 *
 * Every PromQL expression of infra/observability/grafana/dashboards/booking-supergraph.json
 * (panels and template variables) and of infra/observability/alerts.yml is checked three ways:
 * promtool parses it (the dashboard's as recording rules of a generated rule file); the metric
 * names and labels it reads are found on the `/metrics` of a real stack after a booking flow
 * (so renaming a metric or a label breaks this test, not the on-call engineer's dashboard); and
 * a real Prometheus scraping that stack evaluates it without error.
 */
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import {
  invoiceOfBooking,
  prometheusTool,
  registerThroughRouter,
  startPrometheus,
  startStack,
  waitUntilBookable,
  type RunningPrometheus,
  type Stack,
  type TestSession,
} from '@booking/testkit';
import { collectExposedSeries, type ExposedSeries } from './support/exposition';
import { expressionReads } from './support/promqlSelectors';

const ROOT = resolve(__dirname, '..', '..');
const OBSERVABILITY_DIR = resolve(ROOT, 'infra', 'observability');
const DASHBOARD_FILE = resolve(OBSERVABILITY_DIR, 'grafana', 'dashboards', 'booking-supergraph.json');
const ALERTS_FILE = resolve(OBSERVABILITY_DIR, 'alerts.yml');

const promtool = prometheusTool('promtool');
const prometheus = prometheusTool('prometheus');
const withPromtool = promtool ? describe : describe.skip;
const withPrometheus = prometheus ? describe : describe.skip;

const SERVICES = ['router', 'accounts', 'catalog', 'bookings', 'billing'] as const;
type Service = (typeof SERVICES)[number];

/** Labels Prometheus adds to every scraped series (the scrape job and target). */
const TARGET_LABELS = ['job', 'instance'];
/**
 * Labelled metrics the flow cannot give a sample cheaply (a drop needs a subscriber too slow
 * for its buffer; router/test covers that), so their exposition has no label names: these
 * stand in, and the metric itself must still be exposed.
 */
const LABELS_WITHOUT_SAMPLES: Readonly<Record<string, readonly string[]>> = {
  router_subscription_events_dropped_total: ['reason'],
};
/** Series Prometheus makes itself, not scraped from a service, with their labels. */
const PROMETHEUS_SERIES: Readonly<Record<string, readonly string[]>> = {
  up: TARGET_LABELS,
  ALERTS: ['alertname', 'alertstate', 'severity', 'subgraph', 'stream', 'group'],
};

// ---------- the expressions ----------

interface GrafanaTarget {
  refId: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}

interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: GrafanaTarget[];
  panels?: GrafanaPanel[];
}

interface GrafanaVariable {
  name: string;
  type: string;
  query?: string | { query?: string };
  datasource?: { type?: string; uid?: string };
}

interface Dashboard {
  uid: string;
  panels: GrafanaPanel[];
  templating?: { list?: GrafanaVariable[] };
}

interface Expression {
  /** Where it is, for the failure message: `panel 12 "Consumer lag" A`, `alert DeadLettersPresent`. */
  readonly where: string;
  /** As written (Grafana variables and all). */
  readonly written: string;
  /** Plain PromQL: Grafana's variables replaced by values Prometheus accepts. */
  readonly promql: string;
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
const variables = dashboard.templating?.list ?? [];

function allPanels(panels: readonly GrafanaPanel[]): GrafanaPanel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/**
 * Grafana's interval variables become a duration, the dashboard's own variables (used in regex
 * matchers, `subgraph=~"$subgraph"`) their "All" value, `.*`. Anything left with a `$` is a
 * variable nobody defined, which Grafana would send to Prometheus as it is.
 */
function withoutGrafanaVariables(expression: string): string {
  let promql = expression.replace(/\$\{?__(rate_interval|interval|range)\}?/g, '5m');
  for (const variable of variables) promql = promql.replace(new RegExp(`\\$\\{?${variable.name}\\}?(?![a-zA-Z0-9_])`, 'g'), '.*');
  return promql;
}

/** `label_values(metric, label)` as the PromQL that reads the same: a count by that label. */
function variableExpression(variable: GrafanaVariable): string | undefined {
  const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
  const labelValues = /^label_values\(\s*(.+?)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)$/.exec(query ?? '');
  if (labelValues) return `count by (${labelValues[2]}) (${labelValues[1]})`;
  const queryResult = /^query_result\((.*)\)$/.exec(query ?? '');
  return queryResult?.[1] ?? query;
}

const dashboardExpressions: Expression[] = [
  ...allPanels(dashboard.panels).flatMap((panel) =>
    (panel.targets ?? []).flatMap((target) =>
      target.expr === undefined ? [] : [{ where: `panel ${panel.id} "${panel.title}" ${target.refId}`, written: target.expr, promql: withoutGrafanaVariables(target.expr) }],
    ),
  ),
  ...variables.flatMap((variable) => {
    const expression = variable.type === 'query' ? variableExpression(variable) : undefined;
    return expression === undefined ? [] : [{ where: `variable $${variable.name}`, written: expression, promql: withoutGrafanaVariables(expression) }];
  }),
];

interface AlertRules {
  groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[];
}
const alertRules = parse(readFileSync(ALERTS_FILE, 'utf8')) as AlertRules;
const alertExpressions: Expression[] = alertRules.groups.flatMap((group) =>
  group.rules.map((rule) => ({ where: `alert ${rule.alert ?? rule.record}`, written: rule.expr, promql: rule.expr })),
);

const expressions = [...dashboardExpressions, ...alertExpressions];

// ---------- what the services expose ----------

const DAY_MS = 24 * 60 * 60 * 1000;

function baseUrlOf(stack: Stack, service: Service): string {
  return service === 'router' ? new URL(stack.routerUrl).origin : stack.subgraphs[service].baseUrl;
}

async function createBooking(stack: Stack, guest: TestSession, listingId: string, startsAt: Date, endsAt: Date) {
  return stack.query<{ createBooking: { id: string } }>(
    `mutation CreateBooking($input: CreateBookingInput!) { createBooking(input: $input) { id status } }`,
    { input: { listingId, startsAt: startsAt.toISOString(), endsAt: endsAt.toISOString(), guests: 2, idempotencyKey: randomUUID() } },
    guest.accessToken,
  );
}

/**
 * A small booking flow through the router, so the labelled series exist: a listing, a booking
 * and its payment (requests, subgraph calls, events through the outboxes and consumers), a
 * booking a subgraph refuses (a subgraph error by code), and a malformed request (a refusal).
 */
async function bookingFlow(stack: Stack): Promise<void> {
  const host = await registerThroughRouter(stack, `host-${randomUUID()}@dashboard.example`, 'HOST');
  const guest = await registerThroughRouter(stack, `guest-${randomUUID()}@dashboard.example`);
  const listing = await stack.query<{ createListing: { id: string } }>(
    `mutation CreateListing { createListing(input: { title: "Dashboard loft", city: "Porto", capacity: 3,
      pricePerNight: { amount: 10000, currency: "EUR" }, cleaningFee: { amount: 2500, currency: "EUR" } }) { id } }`,
    {},
    host.accessToken,
  );
  const listingId = listing.data?.createListing.id;
  if (!listingId) throw new Error(`createListing: ${JSON.stringify(listing.errors)}`);
  await waitUntilBookable(stack, listingId, guest);

  const startsAt = new Date(Date.now() + 10 * DAY_MS);
  startsAt.setUTCHours(15, 0, 0, 0);
  const endsAt = new Date(startsAt.getTime() + 2 * DAY_MS);
  const booked = await createBooking(stack, guest, listingId, startsAt, endsAt);
  const bookingId = booked.data?.createBooking.id;
  if (!bookingId) throw new Error(`createBooking: ${JSON.stringify(booked.errors)}`);
  const invoiceId = await invoiceOfBooking(stack, bookingId, guest);
  const paid = await stack.query(
    `mutation PayInvoice($id: ID!) { payInvoice(input: { invoiceId: $id, idempotencyKey: "${randomUUID()}", card: { number: "4242424242424242", expMonth: 12, expYear: 2035, cvc: "123" } }) { id status } }`,
    { id: invoiceId },
    guest.accessToken,
  );
  if (!paid.data) throw new Error(`payInvoice: ${JSON.stringify(paid.errors)}`);

  // The same slot again: bookings refuses it (BOOKING_CONFLICT), a subgraph error with a code.
  const conflict = await createBooking(stack, guest, listingId, startsAt, endsAt);
  if (!conflict.errors?.length) throw new Error('a second booking of the same slot was accepted');
  // A token the router cannot verify: refused before execution (a refusal by code).
  const refused = await stack.query('query Refused { __typename }', {}, 'not-a-token');
  if (!refused.errors?.length) throw new Error('a request with a forged token was answered');
}

async function exposedSeries(stack: Stack): Promise<ExposedSeries> {
  const series: ExposedSeries = new Map();
  for (const service of SERVICES) {
    const response = await fetch(`${baseUrlOf(stack, service)}/metrics`);
    if (response.status !== 200) throw new Error(`${service} /metrics answered ${response.status}`);
    collectExposedSeries(await response.text(), series);
  }
  return series;
}

/** Metrics an expression reads that no service exposes, and labels it uses that they lack. */
function readProblems(expression: Expression, exposed: ExposedSeries): string[] {
  const problems: string[] = [];
  const reads = expressionReads(expression.promql);
  const available = new Set(TARGET_LABELS);
  for (const { metric, matcherLabels } of reads.selectors) {
    if (metric === null) {
      problems.push(`${expression.where} selects series by labels alone (${expression.written}): name the metric`);
      continue;
    }
    const own = exposed.get(metric);
    const labels = PROMETHEUS_SERIES[metric] ?? (own ? [...own, ...(own.size === 0 ? LABELS_WITHOUT_SAMPLES[metric] ?? [] : []), ...TARGET_LABELS] : undefined);
    if (labels === undefined) {
      problems.push(`${expression.where} reads ${metric}, which no service exposes`);
      continue;
    }
    for (const label of labels) available.add(label);
    for (const label of matcherLabels) {
      if (!labels.includes(label)) problems.push(`${expression.where} matches ${metric} on label ${label}, which it does not have (it has ${labels.join(', ')})`);
    }
  }
  for (const label of reads.groupingLabels) {
    if (!available.has(label)) problems.push(`${expression.where} groups or joins by ${label}, which none of the metrics it reads has`);
  }
  return problems;
}

// ---------- the tests ----------

describe('the dashboard and the alert rules', () => {
  test('every expression reads at least one metric, and no Grafana variable is left undefined', () => {
    const problems = expressions.flatMap((expression) => [
      ...(expressionReads(expression.promql).selectors.length === 0 ? [`${expression.where} reads no metric: ${expression.written}`] : []),
      ...(/\$/.test(expression.promql) ? [`${expression.where} uses a variable the dashboard does not define: ${expression.written}`] : []),
    ]);
    expect(problems).toEqual([]);
    // Every panel of the on-call list in README "Dashboards and alerts" is there.
    expect(dashboardExpressions.length).toBeGreaterThanOrEqual(30);
  });

  test('the PromQL reader finds metric names, matcher labels and grouping labels', () => {
    const reads = expressionReads(
      'histogram_quantile(0.99, sum by (le, subgraph) (rate(x_seconds_bucket{subgraph=~"a|b", outcome!="ok"}[5m] offset 1h))) / ignoring (outcome) group_left () sum(y_total) > 0.5 and on (job) up',
    );
    expect(reads.selectors).toEqual([
      { metric: 'x_seconds_bucket', matcherLabels: ['subgraph', 'outcome'] },
      { metric: 'y_total', matcherLabels: [] },
      { metric: 'up', matcherLabels: [] },
    ]);
    expect(reads.groupingLabels).toEqual(['le', 'subgraph', 'outcome', 'job']);
  });

  test('every panel queries a provisioned datasource, ids are unique and panels do not overlap', () => {
    const provisioned = parse(
      readFileSync(resolve(OBSERVABILITY_DIR, 'grafana', 'provisioning', 'datasources', 'datasources.yml'), 'utf8'),
    ) as { datasources: { uid: string; type: string }[] };
    const uids = new Map(provisioned.datasources.map((source) => [source.uid, source.type]));
    const problems: string[] = [];
    const panels = allPanels(dashboard.panels);
    const references = [
      ...panels.flatMap((panel) => [panel.datasource, ...(panel.targets ?? []).map((target) => target.datasource)].map((source) => ({ where: `panel ${panel.id}`, source }))),
      ...variables.map((variable) => ({ where: `variable $${variable.name}`, source: variable.datasource })),
    ];
    for (const { where, source } of references) {
      if (source === undefined) continue;
      if (uids.get(source.uid ?? '') !== source.type) problems.push(`${where} uses datasource ${JSON.stringify(source)}, which datasources.yml does not provision`);
    }
    const ids = new Set<number>();
    const cells = new Map<string, number>();
    for (const panel of panels) {
      if (ids.has(panel.id)) problems.push(`panel id ${panel.id} is used twice`);
      ids.add(panel.id);
      const { x, y, w, h } = panel.gridPos;
      if (x < 0 || x + w > 24) problems.push(`panel ${panel.id} "${panel.title}" spans columns ${x}–${x + w}, beyond the 24 of the grid`);
      for (let column = x; column < x + w; column += 1) {
        for (let row = y; row < y + h; row += 1) {
          const other = cells.get(`${column},${row}`);
          if (other !== undefined && other !== panel.id) problems.push(`panels ${other} and ${panel.id} overlap at ${column},${row}`);
          cells.set(`${column},${row}`, panel.id);
        }
      }
      if (panel.type !== 'row' && (panel.targets ?? []).length === 0) problems.push(`panel ${panel.id} "${panel.title}" has no query`);
    }
    expect([...new Set(problems)]).toEqual([]);
  });
});

withPromtool('promtool', () => {
  let directory: string;
  beforeAll(() => {
    directory = mkdtempSync(join(tmpdir(), 'dashboard-rules-'));
  });
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  function check(args: string[]): { status: number | null; output: string } {
    const result = spawnSync(promtool!, args, { encoding: 'utf8' });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  test('parses every dashboard expression (as the recording rules of a generated rule file) and the alert rules', () => {
    const rules = {
      groups: [
        {
          name: 'booking-supergraph-dashboard',
          rules: dashboardExpressions.map((expression, index) => ({
            record: `dashboard:expression_${index}:${expression.where.replace(/[^a-zA-Z0-9]+/g, '_').replace(/^_|_$/g, '')}`,
            expr: expression.promql,
          })),
        },
      ],
    };
    const file = join(directory, 'dashboard.rules.yml');
    writeFileSync(file, stringify(rules));
    expect(check(['check', 'rules', file, ALERTS_FILE])).toEqual({ status: 0, output: expect.stringContaining(`SUCCESS: ${dashboardExpressions.length} rules found`) });
  });

  test('fires each alert on the fault it is for, with the text on-call reads, and stays quiet on healthy series (promtool test rules)', () => {
    // infra/observability/alerts.test.yml: per alert, a fault's series and nearby healthy ones.
    const result = check(['test', 'rules', resolve(OBSERVABILITY_DIR, 'alerts.test.yml')]);
    expect(result).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  test('has a promtool unit test for every alert', () => {
    const alerts = readFileSync(ALERTS_FILE, 'utf8').match(/^\s*- alert: (\w+)/gm)?.map((line) => line.replace(/^\s*- alert: /, '')) ?? [];
    const tested = new Set(readFileSync(resolve(OBSERVABILITY_DIR, 'alerts.test.yml'), 'utf8').match(/alertname: (\w+)/g)?.map((line) => line.replace('alertname: ', '')));
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.filter((alert) => !tested.has(alert))).toEqual([]);
  });

  test('accepts the compose Prometheus configuration (prometheus.yml with its rule files)', () => {
    expect(check(['check', 'config', resolve(OBSERVABILITY_DIR, 'prometheus.yml')])).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });
});

describe('against a real stack after a booking flow', () => {
  let stack: Stack;
  let exposed: ExposedSeries;
  beforeAll(async () => {
    // Hold expiry every 200 ms, so its runs counter has samples.
    stack = await startStack({ env: { bookings: { HOLD_EXPIRY_INTERVAL_MS: '200' } } });
    await bookingFlow(stack);
    exposed = await exposedSeries(stack);
  });
  afterAll(() => stack?.stop());

  test('every metric the dashboard and the alert rules read is one a service exposes, with the labels they use', () => {
    // The scrape itself is real: the router's and every subgraph's own series are there.
    expect(exposed.has('router_requests_total')).toBe(true);
    expect(exposed.has('subgraph_request_duration_seconds_bucket')).toBe(true);
    expect(expressions.flatMap((expression) => readProblems(expression, exposed))).toEqual([]);
  });

  test('a renamed metric or label would be caught', () => {
    const renamed: Expression = { where: 'a renamed metric', written: '', promql: 'sum by (subgraph) (rate(router_subgraph_request_seconds_count{outcome="ok"}[5m]))' };
    expect(readProblems(renamed, exposed)).toEqual(['a renamed metric reads router_subgraph_request_seconds_count, which no service exposes', 'a renamed metric groups or joins by subgraph, which none of the metrics it reads has']);
    const relabelled: Expression = { where: 'a renamed label', written: '', promql: 'sum by (service) (event_consumer_lag{consumer="billing"})' };
    expect(readProblems(relabelled, exposed)).toEqual([
      'a renamed label matches event_consumer_lag on label consumer, which it does not have (it has subgraph, stream, group, job, instance)',
      'a renamed label groups or joins by service, which none of the metrics it reads has',
    ]);
  });

  withPrometheus('a real Prometheus scraping it', () => {
    let server: RunningPrometheus;
    beforeAll(async () => {
      const targets = Object.fromEntries(SERVICES.map((service) => [service, new URL(baseUrlOf(stack, service)).host]));
      server = await startPrometheus(prometheus!, targets);
    });
    afterAll(() => server?.stop());

    test('evaluates every dashboard and alert expression without error, and sees all five services up', async () => {
      const deadline = Date.now() + 20_000;
      while (Number((await server.query('count(up == 1)'))[0]?.value[1] ?? 0) < SERVICES.length) {
        if (Date.now() > deadline) throw new Error('Prometheus did not see the five services up within 20 s');
        await new Promise((wait) => setTimeout(wait, 250));
      }
      const failures: string[] = [];
      for (const expression of expressions) {
        await server.query(expression.promql).catch((error: Error) => failures.push(`${expression.where}: ${error.message}`));
      }
      expect(failures).toEqual([]);
    });
  });
});
