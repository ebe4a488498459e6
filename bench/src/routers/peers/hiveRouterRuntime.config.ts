/**
 * Hive Gateway with the Rust query planner, as The Guild's benchmark runs it: the gateway's own
 * settings (hiveGateway.config.ts: one process, no usage reporting, inbound and outbound
 * deduplication off) plus `unifiedGraphHandler` from `@graphql-hive/router-runtime`, which plans
 * with `@graphql-hive/router-query-planner` (a Rust addon shipped in the npm package) and executes
 * the plan itself instead of through `@graphql-tools/federation`'s stitching.
 * Imported here rather than turned on with `--hive-router-runtime`: that flag silently falls back
 * to the JavaScript planner when the package does not load, and the benchmark would then measure
 * the wrong router under this one's name.
 */
import { gatewayConfig as hiveGatewayConfig } from './hiveGateway.config';

/**
 * Loaded with a narrow type of its own: importing the package's declarations brings the DOM's
 * fetch types into the bench's program, and Node's `fetch` calls elsewhere stop typechecking.
 */
type UnifiedGraphHandler = (options: never) => Promise<unknown>;
const { unifiedGraphHandler } = require('@graphql-hive/router-runtime') as { readonly unifiedGraphHandler: UnifiedGraphHandler };

export const gatewayConfig = { ...hiveGatewayConfig, unifiedGraphHandler };
