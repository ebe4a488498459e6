import { connect, createServer, type Socket } from 'node:net';
import { graphqlRequest, startStack, type Stack } from '@booking/testkit';
import { findFreeFetchBlockedPort } from '../../infra/local/ports';

/**
 * A subgraph may listen on a port that `fetch` refuses ("bad port": 6000, 6665–6669, 10080, …,
 * the WHATWG list): every call the router makes to a subgraph must reach it anyway, the
 * gateway's data sources (ROUTER_EXECUTOR=gateway, and each subscription event's entity
 * fetches) as well as the router's own executor.
 */

/** Passes every connection on `port` to `targetPort` byte for byte: catalog, reached on a port fetch refuses. */
async function forward(port: number, targetPort: number): Promise<{ close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((incoming) => {
    const outgoing = connect(targetPort, '127.0.0.1');
    for (const socket of [incoming, outgoing]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    incoming.pipe(outgoing).pipe(incoming);
    incoming.on('error', () => outgoing.destroy());
    outgoing.on('error', () => incoming.destroy());
  });
  await new Promise<void>((listening) => server.listen(port, '127.0.0.1', listening));
  return {
    close: () =>
      new Promise<void>((closed) => {
        server.close(() => closed());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

const LISTINGS = '{ listings(first: 2) { edges { node { title host { displayName } } } } }';

describe('subgraphs on ports fetch refuses', () => {
  let stack: Stack;
  let forwarder: { close(): Promise<void> } | undefined;
  let catalogUrl: string;

  beforeAll(async () => {
    stack = await startStack({ seedDemo: true });
    const port = await findFreeFetchBlockedPort();
    forwarder = await forward(port, Number(new URL(stack.subgraphs.catalog.baseUrl).port));
    catalogUrl = `http://127.0.0.1:${port}/graphql`;
    // fetch itself refuses the port: what the router must not depend on.
    await expect(fetch(catalogUrl)).rejects.toMatchObject({ cause: { message: 'bad port' } });
  });
  afterAll(async () => {
    await stack?.stop();
    await forwarder?.close();
  });

  it.each(['gateway', 'router'])('the %s executor answers a query planned over catalog', async (executor) => {
    const { url } = await stack.startRouter({ ROUTER_EXECUTOR: executor, CATALOG_URL: catalogUrl });
    const response = await graphqlRequest<{ listings: { edges: { node: { title: string; host: { displayName: string } } }[] } }>(url, LISTINGS);
    expect(response.errors).toBeUndefined();
    expect(response.data?.listings.edges).toHaveLength(2);
    for (const { node } of response.data?.listings.edges ?? []) {
      expect(node.title).toEqual(expect.any(String));
      expect(node.host.displayName).toEqual(expect.any(String));
    }
  });
});
