import { Gauge } from 'prom-client';
import type { Database } from '../orm/database';
import type { ServiceMetrics } from './metrics';

/** The part of knex's tarn pool the gauge reads. */
interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}

function isTarnPool(value: unknown): value is TarnPool {
  const pool = value as Partial<Record<keyof TarnPool, unknown>> | null;
  return !!pool && typeof pool.numUsed === 'function' && typeof pool.numFree === 'function' && typeof pool.numPendingAcquires === 'function';
}

/**
 * The MikroORM (knex/tarn) connection pool, read when scraped: connections in use, idle, and
 * requests waiting for one (pending acquires; a pool at its max with waiters is the bottleneck).
 */
export function registerDatabasePoolMetrics(metrics: ServiceMetrics, subgraph: string, database: Database): void {
  new Gauge({
    name: 'db_pool_connections',
    help: 'PostgreSQL pool connections by state: used, free, pending (acquires waiting for a connection)',
    labelNames: ['subgraph', 'state'],
    registers: [metrics.registry],
    collect() {
      this.reset();
      const pool: unknown = (database.em.getConnection().getKnex().client as { pool?: unknown }).pool;
      // No pool before the first query, and none after close.
      if (!isTarnPool(pool)) return;
      this.set({ subgraph, state: 'used' }, pool.numUsed());
      this.set({ subgraph, state: 'free' }, pool.numFree());
      this.set({ subgraph, state: 'pending' }, pool.numPendingAcquires() + pool.numPendingCreates());
    },
  });
}
