/** The label value of every name beyond the bound. */
export const OTHER_LABEL = 'other';
/** The label value of an operation without a name. */
export const ANONYMOUS_LABEL = 'anonymous';

/**
 * Client-chosen names (operation names) as label values, with the number of distinct values
 * bounded: every series is kept in memory until the process ends and Prometheus stores each
 * one, so a client sending a fresh name per request must not create a series per request.
 * The names `known` up front (a trusted-documents manifest's) are always their own value; other
 * names get their own value first come, first served, until `limit` of them have; every later
 * one is `other`. A name that is not a GraphQL Name (`[_A-Za-z][_0-9A-Za-z]*`, at most 128
 * characters) is `other` too, so a label never carries anything but a name.
 */
export class BoundedLabelValues {
  private readonly admitted = new Set<string>();
  private readonly known: Set<string>;

  constructor(
    private readonly limit: number,
    known: Iterable<string> = [],
  ) {
    this.known = new Set(known);
  }

  /** Names that always get their own value (a trusted-documents manifest's, once it is read). */
  know(names: Iterable<string>): void {
    for (const name of names) this.known.add(name);
  }

  /** How many names beyond the known ones have a value of their own. */
  get size(): number {
    return this.admitted.size;
  }

  valueOf(name: string | null | undefined): string {
    if (!name) return ANONYMOUS_LABEL;
    if (this.known.has(name) || this.admitted.has(name)) return name;
    if (this.admitted.size >= this.limit || !GRAPHQL_NAME.test(name)) return OTHER_LABEL;
    this.admitted.add(name);
    return name;
  }
}

const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,127}$/;
