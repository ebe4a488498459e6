import { sendJson, type Route } from '../http/graphqlHttpServer';

/** One dependency a service cannot do its job without (its database, its event transport). */
export interface ReadinessCheck {
  /** How the /ready body names it: "database", "event transport". */
  readonly name: string;
  /** Resolves to null while the dependency answers, else to why it does not. */
  problem(): Promise<string | null>;
}

export interface Readiness {
  readonly ready: boolean;
  /** One sentence per failing check, starting with its name. */
  readonly problems: readonly string[];
}

/**
 * Runs every check at once, each bounded by `deadlineMs`, so the answer comes within the
 * orchestrator's probe timeout even when a dependency hangs instead of refusing.
 */
export async function checkReadiness(checks: readonly ReadinessCheck[], deadlineMs: number): Promise<Readiness> {
  const outcomes = await Promise.all(
    checks.map(async (check) => {
      const problem = await withDeadline(check.problem(), deadlineMs).catch((error: unknown) => (error as Error).message);
      return problem === null ? null : `${check.name}: ${problem}`;
    }),
  );
  const problems = outcomes.filter((problem): problem is string => problem !== null);
  return { ready: problems.length === 0, problems };
}

/**
 * `/ready`: 200 `{ status: "ready" }` when every check passes, else 503 `{ status: "not ready",
 * problems: [...] }` naming each failing dependency, so a pod that cannot do its work (say,
 * events that would pile up in the outbox) is taken out of its Service and the reason is in
 * the probe's event. `/health` stays process-alive only: a restart would not bring Redis back.
 */
export function readinessRoute(service: string, checks: readonly ReadinessCheck[], deadlineMs = 2_000): Route {
  return async (_request, response) => {
    const { ready, problems } = await checkReadiness(checks, deadlineMs);
    sendJson(response, ready ? 200 : 503, ready ? { status: 'ready', service } : { status: 'not ready', service, problems });
  };
}

function withDeadline<T>(work: Promise<T>, deadlineMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${deadlineMs} ms`)), deadlineMs);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
