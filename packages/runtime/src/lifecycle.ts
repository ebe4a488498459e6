import { ConfigError } from './config/env';
import { shutdownTracing } from './observability/tracing';

interface Stoppable {
  close(): Promise<void>;
}

/**
 * Entry point for a service process: builds it, and on SIGTERM/SIGINT closes it so in-flight
 * requests finish and connections close. A configuration error exits with its message only.
 */
export async function runService(name: string, start: () => Promise<Stoppable>): Promise<void> {
  let service: Stoppable;
  try {
    service = await start();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${name}: ${error.message}\n`);
    } else {
      process.stderr.write(`${name}: failed to start: ${(error as Error).stack ?? String(error)}\n`);
    }
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${name}: ${signal} received, shutting down\n`);
    service
      .close()
      // The spans of the last requests are still in the exporter's batch: send them first.
      .then(() => shutdownTracing().catch(() => undefined))
      .then(
        () => process.exit(0),
        (error: unknown) => {
          process.stderr.write(`${name}: shutdown failed: ${String(error)}\n`);
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
