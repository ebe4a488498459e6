import { unwatchFile, watchFile, readFileSync } from 'node:fs';
import type { Logger } from '@booking/runtime/dist/router';
import { readAccessRequirements, type AccessRequirements } from './auth/accessRequirements';
import { readCostDirectives, type CostDirectives } from './pipeline/costDirectives';
import { readCacheControlHints, type CacheControlHints } from './execution/cacheControlHints';
import type { QueryPlannerChoice, QueryPlannerName } from './planning/queryPlanning';
import { SupergraphPlanner } from './supergraphPlanner';

/** Everything derived from one supergraph SDL, replaced together on a reload. */
export interface SupergraphState {
  readonly sdl: string;
  readonly requirements: AccessRequirements;
  /** `@cost` and `@listSize`, for demand control. */
  readonly costs: CostDirectives;
  /** `@cacheControl`: response Cache-Control headers and the entity cache. */
  readonly cacheHints: CacheControlHints;
  readonly planner: SupergraphPlanner;
  /** Subgraph name → URL, resolved once per schema rather than per request. */
  readonly subgraphUrls: Readonly<Record<string, string>>;
}

export type UrlResolver = (sdl: string) => Record<string, string>;

/** The security features AuthorizingGateway enforces itself. */
const ENFORCED_FEATURES = ['authenticated', 'requiresScopes'];
/**
 * What the router's own executor honours besides: `@context` (composition links it `for:
 * SECURITY`), whose values the executor passes to `@fromContext` arguments (contextArguments.ts).
 * @apollo/gateway 2.14 ignores context rewrites, so its copy keeps refusing such a supergraph.
 */
export const EXECUTOR_FEATURES = [...ENFORCED_FEATURES, 'context'];

/**
 * @apollo/gateway refuses a supergraph with `for: SECURITY` features it cannot enforce, which
 * is right; we enforce `@authenticated` and `@requiresScopes` in AuthorizingGateway, so the
 * gateway is given a copy where those two are ordinary links. Any other security feature
 * (`@policy`) still makes the gateway refuse to start.
 */
export function delegateEnforcedSecurityFeatures(supergraphSdl: string, enforced: readonly string[] = ENFORCED_FEATURES): string {
  const features = enforced.join('|');
  return supergraphSdl.replace(
    new RegExp(`(@link\\(url: "https://specs\\.apollo\\.dev/(?:${features})/v[0-9.]+"), for: SECURITY\\)`, 'g'),
    '$1)',
  );
}

export function supergraphState(sdl: string, resolveUrls: UrlResolver, queryPlanner?: QueryPlannerChoice): SupergraphState {
  return {
    sdl,
    requirements: readAccessRequirements(sdl),
    costs: readCostDirectives(sdl),
    cacheHints: readCacheControlHints(sdl),
    planner: new SupergraphPlanner(delegateEnforcedSecurityFeatures(sdl, EXECUTOR_FEATURES), queryPlanner),
    subgraphUrls: resolveUrls(sdl),
  };
}

/**
 * The router's current supergraph. With a watched file, a changed file is loaded, checked
 * (it must plan), and handed to `onChange`; a broken file is logged and the old schema kept.
 */
export class LiveSupergraph {
  current: SupergraphState;
  private watched: string | undefined;
  private readonly queryPlanner: QueryPlannerChoice;

  constructor(
    initialSdl: string,
    private readonly resolveUrls: UrlResolver,
    private readonly logger: Logger,
    queryPlanner: QueryPlannerName = 'apollo',
  ) {
    this.queryPlanner = {
      name: queryPlanner,
      onFallback: (construct, operationName, detail) =>
        logger.warn(
          { construct, operationName, detail, queryPlanner },
          queryPlanner === 'hive'
            ? "QUERY_PLANNER=hive: Hive's plan uses something the router's executor does not run; Apollo's planner plans such operations (logged once per kind)"
            : "an operation selecting a field whose @requires passes arguments could not be planned by Hive's planner; Apollo's plans it, and fetches a required field once whatever its arguments (logged once per kind)",
        ),
    };
    this.current = supergraphState(initialSdl, resolveUrls, this.queryPlanner);
    this.warnAboutUncheckedScalars();
  }

  /** A custom scalar without a check reaches the subgraphs unread: say so at each load. */
  private warnAboutUncheckedScalars(): void {
    const unchecked = this.current.planner.uncheckedScalars;
    if (unchecked.length > 0) {
      this.logger.warn({ scalars: unchecked }, 'custom scalars without an input check in CUSTOM_SCALARS (@booking/runtime): their values go to subgraphs unchecked');
    }
  }

  watch(path: string, onChange: (next: SupergraphState, previous: SupergraphState) => void, intervalMs = 500): void {
    this.watched = path;
    watchFile(path, { interval: intervalMs }, () => {
      let sdl: string;
      try {
        sdl = readFileSync(path, 'utf8');
      } catch (error) {
        this.logger.error({ err: error, path }, 'cannot read the supergraph; keeping the current one');
        return;
      }
      if (sdl === this.current.sdl) return;
      let next: SupergraphState;
      try {
        next = supergraphState(sdl, this.resolveUrls, this.queryPlanner);
      } catch (error) {
        this.logger.error({ err: error, path }, 'the new supergraph is invalid; keeping the current one');
        return;
      }
      const previous = this.current;
      this.current = next;
      this.logger.info({ path }, 'supergraph reloaded');
      this.warnAboutUncheckedScalars();
      onChange(next, previous);
    });
  }

  stop(): void {
    if (this.watched) unwatchFile(this.watched);
    this.watched = undefined;
  }
}
