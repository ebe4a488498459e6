import { Counter, Histogram, type HistogramConfiguration, type LabelValues, type MetricObjectWithValues, type MetricValue, type MetricValueWithName } from 'prom-client';

/** One label set of a counter, bound once: counting is one addition. */
export interface CountingSeries {
  inc(by?: number): void;
}

/** One label set of a histogram, bound once: observing is a bucket search and three additions. */
export interface ObservingSeries {
  observe(value: number): void;
}

/*
 * Why these exist: a prom-client child (`counter.labels(...)`) validates and hashes its label
 * object and allocates on every `inc()` / `observe()`, about a microsecond each. A router
 * request records half a dozen of them, which measured as most of what metrics cost on a cheap
 * lookup (the benchmark's `ours-metrics` against `ours-bare`). Here a label set is bound once
 * into plain numbers, and the numbers are handed to prom-client only when Prometheus scrapes
 * (`get()`), so names, help, types, the registry and the text format stay prom-client's.
 * Bind label sets only through `series()`: prom-client's own `labels()` / `inc()` on these
 * objects would not be exported.
 */

/** A prom-client Counter whose label sets are bound once with `series()`. */
export class SeriesCounter<Label extends string> extends Counter<Label> {
  private readonly bound = new Map<string, CounterSeries<Label>>();

  /** The series of `labels` (the same one each time they are asked for). */
  series(labels: LabelValues<Label>): CountingSeries {
    return boundOnce(this.bound, labels, () => new CounterSeries(labels));
  }

  override async get(): Promise<MetricObjectWithValues<MetricValue<Label>>> {
    const metric = await super.get();
    return { ...metric, values: [...this.bound.values()].map(({ labels, value }) => ({ labels, value })) };
  }
}

class CounterSeries<Label extends string> implements CountingSeries {
  value = 0;

  constructor(readonly labels: LabelValues<Label>) {}

  inc(by = 1): void {
    this.value += by;
  }
}

/** A prom-client Histogram whose label sets are bound once with `series()`. */
export class SeriesHistogram<Label extends string> extends Histogram<Label> {
  private readonly bound = new Map<string, HistogramSeries<Label>>();
  private readonly upperBounds: readonly number[];

  constructor(private readonly configuration: Omit<HistogramConfiguration<Label>, 'buckets'> & { readonly buckets: readonly number[] }) {
    super({ ...configuration, buckets: [...configuration.buckets] });
    this.upperBounds = [...configuration.buckets].sort((a, b) => a - b);
  }

  /** The series of `labels` (the same one each time they are asked for). */
  series(labels: LabelValues<Label>): ObservingSeries {
    return boundOnce(this.bound, labels, () => new HistogramSeries(labels, this.upperBounds));
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<Label>>> {
    const { name, help } = this.configuration;
    const values = [...this.bound.values()].flatMap((series) => series.values(name, this.upperBounds));
    // prom-client's own get() cannot be asked for the rest (it reads its children through
    // getForPromString, which is this). The object is what prom-client's histograms return,
    // field for field; its typings describe another (a numeric, unexported `type` enum and a
    // `collect` the objects do not have), hence the cast.
    const metric = { name, help, type: 'histogram', aggregator: 'sum', values };
    return metric as unknown as MetricObjectWithValues<MetricValueWithName<Label>>;
  }

  /** What prom-client's registry reads for the text format (it prefers this to get()). */
  async getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<Label>>> {
    return this.get();
  }
}

class HistogramSeries<Label extends string> implements ObservingSeries {
  /** Observations per bucket, not cumulative; the last slot is above every bound (+Inf). */
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(
    private readonly labels: LabelValues<Label>,
    private readonly upperBounds: readonly number[],
  ) {
    this.counts = new Float64Array(upperBounds.length + 1);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return; // prom-client throws; a metric never fails a request
    const bounds = this.upperBounds;
    let bucket = 0;
    while (bucket < bounds.length && value > (bounds[bucket] as number)) bucket += 1;
    this.counts[bucket] = (this.counts[bucket] as number) + 1;
    this.sum += value;
    this.count += 1;
  }

  /** The series as Prometheus reads it: cumulative `_bucket`s with `le`, `_sum`, `_count`. */
  values(name: string, upperBounds: readonly number[]): MetricValueWithName<Label>[] {
    const values: MetricValueWithName<Label>[] = [];
    let cumulative = 0;
    upperBounds.forEach((bound, index) => {
      cumulative += this.counts[index] as number;
      values.push({ metricName: `${name}_bucket`, labels: { le: bound, ...this.labels } as LabelValues<Label>, value: cumulative });
    });
    values.push({ metricName: `${name}_bucket`, labels: { le: '+Inf', ...this.labels } as LabelValues<Label>, value: this.count });
    values.push({ metricName: `${name}_sum`, labels: this.labels, value: this.sum });
    values.push({ metricName: `${name}_count`, labels: this.labels, value: this.count });
    return values;
  }
}

/** One series per label set, however often it is bound: Prometheus rejects a repeated series. */
function boundOnce<Label extends string, Series>(bound: Map<string, Series>, labels: LabelValues<Label>, create: () => Series): Series {
  const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : 1)));
  let series = bound.get(key);
  if (!series) {
    series = create();
    bound.set(key, series);
  }
  return series;
}
