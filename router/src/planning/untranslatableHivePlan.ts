/**
 * A Hive plan uses something that has no counterpart in the plan shapes the router's executor
 * runs: the operation is planned by Apollo's planner instead (see HiveQueryPlanning).
 */
export class UntranslatableHivePlan extends Error {
  constructor(readonly construct: string) {
    super(`Hive's plan uses ${construct}, which has no counterpart in Apollo's plan shapes`);
    this.name = 'UntranslatableHivePlan';
  }
}
