import { GraphQLError } from 'graphql';
import { federation, startFixture, type RunningFixture, type SubgraphFixture } from './conformance/harness';

/**
 * SUBGRAPH_BATCHING on real HTTP subgraphs: a request's sibling entity fetches to one subgraph
 * (the planner writes one fetch per path, so `author` and `topic` of the same posts are two)
 * go as one call, and every answer is the one the plan gives fetch by fetch (`off`), errors
 * included. Expected answers are written here from the fixture's data.
 */
const NAMES: Readonly<Record<string, string>> = { u1: 'Ada', u2: 'Grace' };
const CITIES: Readonly<Record<string, string>> = { v1: 'Porto', v2: 'Lyon' };

const posts: SubgraphFixture = {
  name: 'posts',
  typeDefs: `${federation('@key')}
    type Query { feed: [Post!]! }
    type Post @key(fields: "id") { id: ID! title: String! author: User! topic: Topic! venue: Venue! }
    type User @key(fields: "id", resolvable: false) { id: ID! }
    type Topic @key(fields: "id", resolvable: false) { id: ID! }
    type Venue @key(fields: "id", resolvable: false) { id: ID! }
  `,
  resolvers: {
    Query: {
      feed: () => [
        { id: 'p1', title: 'First', author: { id: 'u1' }, topic: { id: 't1' }, venue: { id: 'v1' } },
        { id: 'p2', title: 'Second', author: { id: 'u2' }, topic: { id: 't1' }, venue: { id: 'v2' } },
      ],
    },
  },
};

function people(refuses?: (query: string) => boolean): SubgraphFixture {
  return {
    name: 'people',
    typeDefs: `${federation('@key')}
      type User @key(fields: "id") { id: ID! name: String! greeting(punctuation: String!): String! }
      type Topic @key(fields: "id") { id: ID! label: String! }
      type Venue @key(fields: "id") { id: ID! city: String! doors: String }
    `,
    resolvers: {
      User: {
        __resolveReference: (user: { id: string }) => ({ id: user.id, name: NAMES[user.id] }),
        greeting: (user: { name: string }, args: { punctuation: string }) => `Hello ${user.name}${args.punctuation}`,
      },
      Topic: { __resolveReference: (topic: { id: string }) => ({ id: topic.id, label: `Topic ${topic.id}` }) },
      Venue: {
        __resolveReference: (venue: { id: string }) => ({ id: venue.id, city: CITIES[venue.id] }),
        doors: (venue: { id: string }) => {
          if (venue.id === 'v2') throw new GraphQLError('Venue v2 is closed', { extensions: { code: 'VENUE_CLOSED' } });
          return 'open';
        },
      },
    },
    ...(refuses ? { refuses } : {}),
  };
}

const AUTHOR_AND_TOPIC = '{ feed { id author { name } topic { label } } }';
const THREE_WITH_VARIABLES = `query($punctuation: String!) { feed { id author { ...Who } topic { label } venue { city } } }
  fragment Who on User { name greeting(punctuation: $punctuation) }`;
const WITH_AN_ERROR = '{ feed { id venue { city doors } topic { label } } }';

const EXPECTED = {
  authorAndTopic: {
    data: {
      feed: [
        { id: 'p1', author: { name: 'Ada' }, topic: { label: 'Topic t1' } },
        { id: 'p2', author: { name: 'Grace' }, topic: { label: 'Topic t1' } },
      ],
    },
  },
  three: {
    data: {
      feed: [
        { id: 'p1', author: { name: 'Ada', greeting: 'Hello Ada!' }, topic: { label: 'Topic t1' }, venue: { city: 'Porto' } },
        { id: 'p2', author: { name: 'Grace', greeting: 'Hello Grace!' }, topic: { label: 'Topic t1' }, venue: { city: 'Lyon' } },
      ],
    },
  },
  withAnError: {
    errors: [{ message: 'Venue v2 is closed', path: ['feed', 1, 'venue', 'doors'], extensions: { code: 'VENUE_CLOSED', serviceName: 'people' } }],
    data: {
      feed: [
        { id: 'p1', venue: { city: 'Porto', doors: 'open' }, topic: { label: 'Topic t1' } },
        { id: 'p2', venue: { city: 'Lyon', doors: null }, topic: { label: 'Topic t1' } },
      ],
    },
  },
};

/** People's calls for one operation: `[batched, plan alone]` by mode. */
async function callsFor(fixture: RunningFixture, query: string, variables?: Record<string, unknown>) {
  const before = fixture.calls.people ?? 0;
  const answer = await fixture.query('router', query, variables);
  return { answer, calls: (fixture.calls.people ?? 0) - before };
}

describe.each([
  ['plan', true],
  ['tick', true],
  ['off', false],
] as const)('SUBGRAPH_BATCHING=%s', (mode, batches) => {
  let fixture: RunningFixture;
  let refusing: RunningFixture;

  beforeAll(async () => {
    fixture = await startFixture([posts, people()], ['router'], { SUBGRAPH_BATCHING: mode });
    // As a proxy with a body limit, or a subgraph that refuses aliases of _entities, would.
    refusing = await startFixture([posts, people((query) => query.includes('_0:_entities'))], ['router'], { SUBGRAPH_BATCHING: mode });
  });
  afterAll(async () => {
    await fixture?.stop();
    await refusing?.stop();
  });

  it(`sends two sibling entity fetches to one subgraph as ${batches ? 'one call' : 'two calls'}`, async () => {
    const { answer, calls } = await callsFor(fixture, AUTHOR_AND_TOPIC);
    expect(answer).toEqual(EXPECTED.authorAndTopic);
    expect(calls).toBe(batches ? 1 : 2);
  });

  it('merges fetches with client variables and fragments, each answer where its fetch expects it', async () => {
    const { answer, calls } = await callsFor(fixture, THREE_WITH_VARIABLES, { punctuation: '!' });
    expect(answer).toEqual(EXPECTED.three);
    expect(calls).toBe(batches ? 1 : 3);
  });

  it("sends each fetch again alone when the merged answer has errors: the errors' paths are each fetch's own", async () => {
    const { answer, calls } = await callsFor(fixture, WITH_AN_ERROR);
    expect(answer).toEqual(EXPECTED.withAnError);
    // Batched: one merged call, then each of the two alone.
    expect(calls).toBe(batches ? 3 : 2);
  });

  it('sends each fetch again alone when the subgraph refuses the merged call (HTTP 413)', async () => {
    const { answer, calls } = await callsFor(refusing, THREE_WITH_VARIABLES, { punctuation: '?' });
    expect(answer).toEqual({
      data: { feed: EXPECTED.three.data.feed.map((post) => ({ ...post, author: { ...post.author, greeting: post.author.greeting.replace('!', '?') } })) },
    });
    expect(calls).toBe(batches ? 4 : 3);
  });

  it('merges a fetch that reads a client variable with one that reads none', async () => {
    const { answer, calls } = await callsFor(fixture, `query($punctuation: String!) { feed { author { greeting(punctuation: $punctuation) } venue { city } } }`, { punctuation: '.' });
    expect(answer).toEqual({
      data: {
        feed: [
          { author: { greeting: 'Hello Ada.' }, venue: { city: 'Porto' } },
          { author: { greeting: 'Hello Grace.' }, venue: { city: 'Lyon' } },
        ],
      },
    });
    expect(calls).toBe(batches ? 1 : 2);
  });
});
