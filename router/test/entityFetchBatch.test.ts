import type { FetchNode } from '@apollo/query-planner';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { graphql, parse } from 'graphql';
import { EntityFetchBatcher, type SendAlone, type SendBody } from '../src/execution/entityFetchBatch';
import type { SubgraphAnswer } from '../src/execution/subgraphClient';

/** A subgraph schema the merged operations really run against: a malformed merge fails here. */
const schema = buildSubgraphSchema({
  typeDefs: parse(`
    extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
    type User @key(fields: "id") { id: ID! name: String! greeting(punctuation: String!): String! }
    type Topic @key(fields: "id") { id: ID! label: String! }
  `),
  resolvers: {
    User: {
      __resolveReference: (user: { id: string }) => ({ id: user.id, name: `user ${user.id}` }),
      greeting: (user: { name: string }, args: { punctuation: string }) => `Hello ${user.name}${args.punctuation}`,
    },
    Topic: { __resolveReference: (topic: { id: string }) => ({ id: topic.id, label: `topic ${topic.id}` }) },
  },
});

function entityFetch(operation: string, variableUsages: string[] = []): FetchNode {
  // As Apollo's planner writes it: the operation's name, when it has one, beside its text.
  const operationName = /^query (\w+)/.exec(operation)?.[1];
  return { kind: 'Fetch', serviceName: 'people', operation, operationName, variableUsages, operationKind: 'query' } as unknown as FetchNode;
}

const USERS = entityFetch('query Op__people__1($representations:[_Any!]!){_entities(representations:$representations){...Who}} fragment Who on User{name}');
const TOPICS = entityFetch('query Op__people__2($representations:[_Any!]!){_entities(representations:$representations){...Who}} fragment Who on Topic{label}');
const GREETINGS = entityFetch('query Op__people__3($representations:[_Any!]!,$punctuation:String!){_entities(representations:$representations){...on User{greeting(punctuation:$punctuation)}}}', ['punctuation']);
const GREETINGS_AGAIN = entityFetch('query Op__people__4($representations:[_Any!]!,$punctuation:String!){_entities(representations:$representations){...on User{id greeting(punctuation:$punctuation)}}}', ['punctuation']);
const CLASHING = entityFetch('query($representations:[_Any!]!,$_r0:String){_entities(representations:$representations){...on User{name}}}', ['_r0']);

const user = (id: string) => JSON.stringify({ __typename: 'User', id });
const topic = (id: string) => JSON.stringify({ __typename: 'Topic', id });

/** Runs a request body against the schema, as the subgraph would. */
async function answer(body: string): Promise<SubgraphAnswer> {
  const { query, variables, operationName } = JSON.parse(body) as { query: string; variables: Record<string, unknown>; operationName?: string };
  const result = await graphql({ schema, source: query, variableValues: variables, operationName });
  return { kind: 'response', data: (result.data as Record<string, unknown> | null | undefined) ?? null, errors: (result.errors ?? []).map((error) => error.toJSON()) };
}

function recording(merged: (body: string) => Promise<SubgraphAnswer> = answer) {
  const bodies: string[] = [];
  const alone: FetchNode[] = [];
  const sendBody: SendBody = (_serviceName, _url, body) => {
    bodies.push(body);
    return merged(body);
  };
  const sendAlone: SendAlone = (fetch, _url, variables, representations) => {
    alone.push(fetch);
    return answer(JSON.stringify({ query: fetch.operation, variables: { ...variables, representations: representations.map((text) => JSON.parse(text) as unknown) } }));
  };
  return { bodies, alone, sendBody, sendAlone };
}

describe.each(['plan', 'tick'] as const)('EntityFetchBatcher (%s)', (batching) => {
  it("renames each fetch's fragments, so two fragments of one name stay apart, and splits the answer", async () => {
    const calls = recording();
    const batcher = new EntityFetchBatcher(batching, calls.sendBody, calls.sendAlone);
    const [users, topics] = await Promise.all([batcher.send(USERS, 'u', {}, [user('1'), user('2')]), batcher.send(TOPICS, 'u', {}, [topic('9')])]);
    expect(calls.bodies).toHaveLength(1);
    expect(calls.alone).toHaveLength(0);
    expect(JSON.parse(calls.bodies[0] as string)).toMatchObject({
      query: 'query Op__people__1($_r0:[_Any!]!,$_r1:[_Any!]!){_0:_entities(representations:$_r0){..._f0_Who} _1:_entities(representations:$_r1){..._f1_Who}} fragment _f0_Who on User{name} fragment _f1_Who on Topic{label}',
      operationName: 'Op__people__1',
    });
    expect(users).toEqual({ kind: 'response', data: { _entities: [{ name: 'user 1' }, { name: 'user 2' }] }, errors: [] });
    expect(topics).toEqual({ kind: 'response', data: { _entities: [{ label: 'topic 9' }] }, errors: [] });
  });

  it('shares a variable both fetches read with the same value; keeps them apart when the values differ', async () => {
    const same = recording();
    const batcher = new EntityFetchBatcher(batching, same.sendBody, same.sendAlone);
    const answers = await Promise.all([batcher.send(GREETINGS, 'u', { punctuation: '!' }, [user('1')]), batcher.send(GREETINGS_AGAIN, 'u', { punctuation: '!' }, [user('2')])]);
    expect(same.bodies).toHaveLength(1);
    expect(answers.map((one) => one.kind === 'response' && one.data?._entities)).toEqual([[{ greeting: 'Hello user 1!' }], [{ id: '2', greeting: 'Hello user 2!' }]]);

    const differing = recording();
    const apart = new EntityFetchBatcher(batching, differing.sendBody, differing.sendAlone);
    const [first, second] = await Promise.all([apart.send(GREETINGS, 'u', { punctuation: '!' }, [user('1')]), apart.send(GREETINGS_AGAIN, 'u', { punctuation: '?' }, [user('2')])]);
    expect(differing.bodies).toHaveLength(0);
    expect(differing.alone).toEqual([GREETINGS, GREETINGS_AGAIN]);
    expect(first.kind === 'response' && first.data?._entities).toEqual([{ greeting: 'Hello user 1!' }]);
    expect(second.kind === 'response' && second.data?._entities).toEqual([{ id: '2', greeting: 'Hello user 2?' }]);
  });

  it('never merges the same fetch twice (two groups of one fetch), nor a fetch with a variable named like ours', async () => {
    const calls = recording();
    const batcher = new EntityFetchBatcher(batching, calls.sendBody, calls.sendAlone);
    await Promise.all([batcher.send(USERS, 'u', {}, [user('1')]), batcher.send(USERS, 'u', {}, [user('2')]), batcher.send(CLASHING, 'u', { _r0: 'x' }, [user('3')])]);
    expect(calls.bodies).toHaveLength(0);
    expect(calls.alone).toEqual([CLASHING, USERS, USERS]);
  });

  it("gives every part the merged call's failure (unavailable), without sending them again", async () => {
    const unavailable: SubgraphAnswer = { kind: 'failed', error: { message: 'Subgraph "people" is unavailable: ECONNREFUSED', extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: 'people' } } };
    const calls = recording(() => Promise.resolve(unavailable));
    const batcher = new EntityFetchBatcher(batching, calls.sendBody, calls.sendAlone);
    const answers = await Promise.all([batcher.send(USERS, 'u', {}, [user('1')]), batcher.send(TOPICS, 'u', {}, [topic('1')])]);
    expect(answers).toEqual([unavailable, unavailable]);
    expect(calls.alone).toHaveLength(0);
  });

  it('settles every part when sending throws', async () => {
    const calls = recording(() => Promise.reject(new Error('socket exploded')));
    const batcher = new EntityFetchBatcher(batching, calls.sendBody, calls.sendAlone);
    const settled = await Promise.allSettled([batcher.send(USERS, 'u', {}, [user('1')]), batcher.send(TOPICS, 'u', {}, [topic('1')])]);
    expect(settled.map((one) => one.status)).toEqual(['rejected', 'rejected']);
  });
});
