import type { SupergraphPlanner } from '../../src/supergraphPlanner';
import type { ConformanceCase, ExpectedError } from './conformanceCase';
import type { ConformanceResponse, ExecutorName, RunningFixture } from './harness';
import { unexplainedNulls } from './nullHunt';

/** `errors` and the value-completion errors Apollo's executors put in `extensions`, as the spec's one list. */
function allErrors(response: ConformanceResponse): { message: string; code?: unknown; path?: readonly (string | number)[] }[] {
  const valueCompletion = (response.extensions?.valueCompletion ?? []) as NonNullable<ConformanceResponse['errors']>;
  return [...(response.errors ?? []), ...valueCompletion].map((error) => ({ message: error.message, code: error.extensions?.code, ...(error.path ? { path: error.path } : {}) }));
}

const byPath = (a: { path?: readonly unknown[] }, b: { path?: readonly unknown[] }) => JSON.stringify(a.path ?? []).localeCompare(JSON.stringify(b.path ?? []));

/** What differs from the spec's answer, one line each (empty: conforms). */
function differences(conformance: ConformanceCase, response: ConformanceResponse, called: string[], apiSchema: SupergraphPlanner['apiGraphQLSchema']): string[] {
  const found: string[] = [];
  if (JSON.stringify(response.data) !== JSON.stringify(conformance.data)) found.push(`data ${JSON.stringify(response.data)}`);
  const actual = allErrors(response).sort(byPath);
  const expected = [...(conformance.errors ?? [])].sort(byPath);
  const matches = (error: (typeof actual)[number], want: ExpectedError) =>
    (want.message === undefined || error.message === want.message) && (want.code === undefined || error.code === want.code) && (want.path === undefined || JSON.stringify(error.path) === JSON.stringify(want.path));
  if (actual.length !== expected.length || !expected.every((want, index) => matches(actual[index], want))) found.push(`errors ${JSON.stringify(actual)}`);
  if (conformance.subgraphsCalled && JSON.stringify(called) !== JSON.stringify([...conformance.subgraphsCalled].sort())) found.push(`called ${called.join(',')}`);
  const unexplained = unexplainedNulls(apiSchema, conformance.query, response, conformance.legitimateNulls);
  if (unexplained.length > 0) found.push(`null without error at ${unexplained.map((path) => path.join('.') || '(data)').join(', ')}`);
  return found;
}

/** Runs one case through one executor of the running fixture: what differs from the spec's answer. */
export async function runCase(running: RunningFixture, conformance: ConformanceCase, executor: ExecutorName, apiSchema: SupergraphPlanner['apiGraphQLSchema']): Promise<string[]> {
  conformance.before?.();
  const before = { ...running.calls };
  const response = await running.query(executor, conformance.query, conformance.variables);
  const called = Object.keys(running.calls).filter((name) => running.calls[name] > (before[name] ?? 0)).sort();
  return differences(conformance, response, called, apiSchema);
}
