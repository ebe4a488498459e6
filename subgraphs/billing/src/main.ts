import './tracing';
import { readSubgraphConfig, runService } from '@booking/runtime';
import { createServer } from './index';

void runService('billing', async () => {
  const server = await createServer(readSubgraphConfig('billing'));
  await server.listen();
  return server;
});
