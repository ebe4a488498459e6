import { Counter, Histogram, Registry } from 'prom-client';
import { SeriesCounter, SeriesHistogram } from '../src/observability/boundSeries';

const BUCKETS = [0.001, 0.01, 0.1, 1];
const HELP = 'what it counts';

/** The same observations through prom-client's own children and through bound series must read the same. */
describe('bound series', () => {
  it('exposes a histogram exactly as prom-client does', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const reference = new Histogram({ name: 'call_seconds', help: HELP, labelNames: ['target', 'outcome'], buckets: BUCKETS, registers: [theirs] });
    const bound = new SeriesHistogram({ name: 'call_seconds', help: HELP, labelNames: ['target', 'outcome'], buckets: BUCKETS, registers: [ours] });
    const observations: [string, string, number][] = [
      ['a', 'ok', 0.0005],
      ['a', 'ok', 0.001],
      ['a', 'ok', 0.05],
      ['a', 'ok', 3],
      ['b', 'failed', 0.2],
    ];
    for (const [target, outcome, value] of observations) {
      reference.labels(target, outcome).observe(value);
      bound.series({ target, outcome }).observe(value);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('exposes a counter exactly as prom-client does, one series per label set however often bound', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    const reference = new Counter({ name: 'refusals_total', help: HELP, labelNames: ['code'], registers: [theirs] });
    const bound = new SeriesCounter({ name: 'refusals_total', help: HELP, labelNames: ['code'], registers: [ours] });
    reference.labels('LIMIT').inc();
    reference.labels('LIMIT').inc(2);
    reference.labels('AUTH').inc();
    bound.series({ code: 'LIMIT' }).inc();
    bound.series({ code: 'LIMIT' }).inc(2);
    bound.series({ code: 'AUTH' }).inc();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('exports an unlabelled counter at zero before its first count, as prom-client does', async () => {
    const theirs = new Registry();
    const ours = new Registry();
    new Counter({ name: 'events_total', help: HELP, registers: [theirs] });
    new SeriesCounter({ name: 'events_total', help: HELP, registers: [ours] }).series({});
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('never throws on a value that is not a number (a metric never fails a request)', async () => {
    const ours = new Registry();
    const series = new SeriesHistogram({ name: 'x_seconds', help: HELP, buckets: BUCKETS, registers: [ours] }).series({});
    series.observe(Number.NaN);
    series.observe(0.5);
    expect(await ours.metrics()).toContain('x_seconds_count 1');
  });
});
