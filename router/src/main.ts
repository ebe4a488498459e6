import './tracing';
import { runService } from '@booking/runtime/dist/router';
import { readRouterConfig } from './config';
import { createRouter } from './router';

void runService('router', async () => {
  const router = await createRouter(readRouterConfig());
  await router.listen();
  return router;
});
