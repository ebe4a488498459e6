import type { ExecutorName, SubgraphFixture } from './harness';

/** An error as the spec says it must come back; fields left out are not compared. */
export interface ExpectedError {
  readonly message?: string;
  readonly code?: string;
  readonly path?: readonly (string | number)[];
}

/** One operation against a fixture, with the answer written by hand from the federation spec. */
export interface ConformanceCase {
  readonly name: string;
  readonly query: string;
  readonly variables?: Record<string, unknown>;
  /** `undefined` when the request must fail before execution (no `data` key at all). */
  readonly data: Record<string, unknown> | null | undefined;
  /** Every error of the response: `errors` and `extensions.valueCompletion` together, any order. */
  readonly errors?: readonly ExpectedError[];
  /** Exactly the subgraphs the plan must call (what proves @provides, @override, @skip...). */
  readonly subgraphsCalled?: readonly string[];
  /** Fields (`Type.field`) a subgraph resolves to null on purpose here: nulls the hunt allows. */
  readonly legitimateNulls?: readonly string[];
  /** Runs before each executor's request (a mutation case resets the state it changes). */
  readonly before?: () => void;
  /**
   * Executors known to answer this case wrongly, with what they do instead. Their run is
   * expected to differ from the spec's answer: when it stops differing, the mark must go.
   */
  readonly knownWrong?: Partial<Record<ExecutorName, string>>;
}

export interface ConformanceFixture {
  readonly name: string;
  readonly subgraphs: readonly SubgraphFixture[];
  /**
   * Why @apollo/gateway refuses this fixture's supergraph outright (it then serves none of its
   * cases): the suite checks that it still refuses, and runs the cases on our executor only.
   */
  readonly gatewayRefuses?: string;
  readonly cases: readonly ConformanceCase[];
}
