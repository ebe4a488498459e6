import './tracing';
import { readSubgraphConfig, runService } from '@booking/runtime';
import { createServer } from './index';

void runService('accounts', async () => {
  const server = await createServer(readSubgraphConfig('accounts'));
  await server.listen();
  return server;
});
