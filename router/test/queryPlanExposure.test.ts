import type { IncomingMessage } from 'node:http';
import { prettyFormatQueryPlan, type QueryPlan } from '@apollo/query-planner';
import { OperationTypeNode } from 'graphql';
import { queryPlanExposureOf, queryPlanExposureStage, queryPlanExtension } from '../src/pipeline/queryPlanExposure';

const withHeader = (value: string | undefined) => ({ headers: value === undefined ? {} : { 'apollo-expose-query-plan': value } }) as unknown as IncomingMessage;

describe('Apollo-Expose-Query-Plan', () => {
  it('asks for the plan with `true`, for the plan alone with `dry-run`, and for nothing otherwise', () => {
    expect(queryPlanExposureOf('true')).toBe('expose');
    expect(queryPlanExposureOf(' TRUE ')).toBe('expose');
    expect(queryPlanExposureOf('dry-run')).toBe('dry-run');
    for (const value of ['false', '1', 'yes', '', 'dryrun', undefined, ['true']]) expect(queryPlanExposureOf(value)).toBeUndefined();
  });

  it('is ignored when EXPOSE_QUERY_PLAN is off', () => {
    expect(queryPlanExposureStage(true)(withHeader('dry-run'))).toBe('dry-run');
    expect(queryPlanExposureStage(true)(withHeader(undefined))).toBeUndefined();
    expect(queryPlanExposureStage(false)(withHeader('true'))).toBeUndefined();
    expect(queryPlanExposureStage(false)(withHeader('dry-run'))).toBeUndefined();
  });

  it("is told as Apollo Router tells it: { object: { kind, node }, text } with the planner's pretty text, once per plan", () => {
    const plan: QueryPlan = {
      kind: 'QueryPlan',
      node: { kind: 'Fetch', serviceName: 'catalog', operation: '{listings{id}}', operationName: undefined, operationKind: OperationTypeNode.QUERY },
    };
    const extension = queryPlanExtension(plan);
    expect(extension.object).toEqual({ kind: 'QueryPlan', node: plan.node });
    expect(extension.text).toBe(prettyFormatQueryPlan(plan));
    expect(extension.text).toContain('Fetch(service: "catalog")');
    expect(queryPlanExtension(plan)).toBe(extension);
    // An operation no subgraph serves (only __typename) has an empty plan: `node` is null.
    expect(queryPlanExtension({ kind: 'QueryPlan' })).toEqual({ object: { kind: 'QueryPlan', node: null }, text: 'QueryPlan {}' });
  });
});
