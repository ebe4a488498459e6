import { startStack } from '@booking/testkit';

const listeningServers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'TCPServerWrap').length;

describe('startStack', () => {
  it('stops the subgraphs it started when the router cannot start, since the caller gets no stack to stop', async () => {
    const before = listeningServers();
    await expect(startStack({ routerEnv: { MAX_SUBSCRIPTIONS: 'none' } })).rejects.toThrow(/MAX_SUBSCRIPTIONS/);
    expect(listeningServers()).toBe(before);
  });
});
