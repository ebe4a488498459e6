import './tracing';
import { readSubgraphConfig, runService } from '@booking/runtime';
import { createServer } from './index';

void runService('bookings', async () => {
  const server = await createServer(readSubgraphConfig('bookings'));
  await server.listen();
  return server;
});
