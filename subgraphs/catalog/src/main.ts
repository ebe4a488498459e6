import './tracing';
import { readSubgraphConfig, runService } from '@booking/runtime';
import { createServer } from './index';

void runService('catalog', async () => {
  const server = await createServer(readSubgraphConfig('catalog'));
  await server.listen();
  return server;
});
