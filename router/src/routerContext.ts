import type { Viewer } from '@booking/runtime';

/** Per-request context of the router: who is asking, as verified from the bearer token. */
export interface RouterContext {
  readonly viewer: Viewer | null;
  /** When the client's request must be answered (epoch ms); subscriptions' events have none. */
  readonly deadline?: number;
}
