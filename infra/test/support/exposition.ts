/**
 * The series names and label names a Prometheus text exposition (`GET /metrics`) offers, as
 * Prometheus stores them: a histogram `x` is the series `x_bucket` (with `le`), `x_sum` and
 * `x_count`; a summary adds `x_sum` and `x_count` to `x` (with `quantile`).
 */
export type ExposedSeries = Map<string, Set<string>>;

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+\S+/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="(?:[^"\\]|\\.)*"/g;
const TYPE = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/;

function labelsOf(series: ExposedSeries, name: string): Set<string> {
  const labels = series.get(name) ?? new Set<string>();
  series.set(name, labels);
  return labels;
}

/** Adds what `exposition` offers to `series` (several services' expositions may share one map). */
export function collectExposedSeries(exposition: string, series: ExposedSeries = new Map()): ExposedSeries {
  for (const line of exposition.split('\n')) {
    const type = TYPE.exec(line);
    if (type) {
      // A metric without samples yet (a labelled counter nothing incremented) still exists.
      const [, name = '', kind] = type;
      if (kind === 'histogram') {
        labelsOf(series, `${name}_bucket`).add('le');
        labelsOf(series, `${name}_sum`);
        labelsOf(series, `${name}_count`);
      } else if (kind === 'summary') {
        labelsOf(series, name).add('quantile');
        labelsOf(series, `${name}_sum`);
        labelsOf(series, `${name}_count`);
      } else {
        labelsOf(series, name);
      }
      continue;
    }
    if (line.startsWith('#') || line.trim() === '') continue;
    const sample = SAMPLE.exec(line);
    if (!sample) throw new Error(`not a sample line of the text format: ${line}`);
    const labels = labelsOf(series, sample[1] ?? '');
    for (const match of (sample[3] ?? '').matchAll(LABEL)) labels.add(match[1] ?? '');
  }
  return series;
}
