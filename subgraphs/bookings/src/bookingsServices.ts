import { parse, readConfig, variable, type SubgraphAttachment, type SubgraphRuntime } from '@booking/runtime';
import { HoldExpiryJob } from './services/holdExpiry';

export const bookingsConfigSpec = {
  holdTtlSeconds: variable('HOLD_TTL_SECONDS', 'how long a HELD booking waits for payment', parse.positiveInt, () => 900),
  holdExpiryIntervalMs: variable('HOLD_EXPIRY_INTERVAL_MS', 'how often expired holds are released', parse.positiveInt, () => 1_000),
};

export interface BookingsServices {
  readonly holdTtlSeconds: number;
}

export async function attachBookingsServices(runtime: SubgraphRuntime): Promise<SubgraphAttachment<BookingsServices>> {
  const config = readConfig(bookingsConfigSpec, runtime.env);
  const expiry = new HoldExpiryJob(runtime.database, runtime.logger, config.holdExpiryIntervalMs, runtime.metrics);
  expiry.start();
  return {
    services: { holdTtlSeconds: config.holdTtlSeconds },
    close: () => expiry.stop(),
  };
}
