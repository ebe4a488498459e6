import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SUBGRAPH_NAMES, SUBGRAPH_PORTS, type SubgraphName } from '@booking/runtime';
import { buildSchema, validate, parse } from 'graphql';
import { API_SCHEMA_FILE, apiSchemaSdl, composeSupergraph, generateSubgraphSdl, readSupergraphConfig, SUPERGRAPH_FILE } from '@booking/schema';

const STALE = 'is stale: run `npm run compose` and commit the result';

describe('composition', () => {
  const config = readSupergraphConfig();

  it('pins an exact federation version that matches the installed @apollo/composition', () => {
    const installed = (require('@apollo/composition/package.json') as { version: string }).version;
    expect(config.federationVersion).toBe(installed);
  });

  it('lists every subgraph, on its default port', () => {
    expect(config.subgraphs.map((subgraph) => subgraph.name).sort()).toEqual([...SUBGRAPH_NAMES].sort());
    for (const subgraph of config.subgraphs) {
      const url = new URL(subgraph.routingUrl);
      expect(`${subgraph.name} ${url.port}${url.pathname}`).toBe(`${subgraph.name} ${SUBGRAPH_PORTS[subgraph.name as SubgraphName]}/graphql`);
    }
  });

  it.each(SUBGRAPH_NAMES)('committed schema/%s.graphql equals the SDL generated from the code', async (name) => {
    const entry = config.subgraphs.find((subgraph) => subgraph.name === name)!;
    const generated = await generateSubgraphSdl(name);
    const committed = readFileSync(entry.schemaFile, 'utf8');
    if (generated !== committed) throw new Error(`schema/${name}.graphql ${STALE}`);
  });

  it('composes without errors or hints into the committed supergraph', () => {
    const outcome = composeSupergraph(config);
    expect(outcome.hints).toEqual([]);
    if (!outcome.ok) throw new Error(`composition failed:\n${outcome.errors.join('\n')}`);
    if (outcome.supergraphSdl !== readFileSync(SUPERGRAPH_FILE, 'utf8')) throw new Error(`schema/supergraph.graphql ${STALE}`);
  });

  it('derives the committed API schema (schema/api.graphql) from the committed supergraph', () => {
    if (apiSchemaSdl(readFileSync(SUPERGRAPH_FILE, 'utf8')) !== readFileSync(API_SCHEMA_FILE, 'utf8')) {
      throw new Error(`schema/api.graphql ${STALE}`);
    }
  });

  it('leaves federation internals and @inaccessible parts out of the API schema', () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-schema-'));
    const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key", "@inaccessible"])\n';
    writeFileSync(join(dir, 'a.graphql'), `${link}type Query { thing(id: ID!): Thing }\ntype Thing @key(fields: "id") { id: ID! internalNote: String @inaccessible }\n`);
    writeFileSync(join(dir, 'b.graphql'), `${link}type Thing @key(fields: "id") { id: ID! size: Int }\n`);
    const outcome = composeSupergraph({
      federationVersion: config.federationVersion,
      subgraphs: [
        { name: 'a', routingUrl: 'http://localhost:4998/graphql', schemaFile: join(dir, 'a.graphql') },
        { name: 'b', routingUrl: 'http://localhost:4999/graphql', schemaFile: join(dir, 'b.graphql') },
      ],
    });
    if (!outcome.ok) throw new Error(`composition failed:\n${outcome.errors.join('\n')}`);
    const api = apiSchemaSdl(outcome.supergraphSdl);
    const definitions = api.replace(/^#.*\n/gm, ''); // the header comment names what is left out
    expect(definitions).not.toMatch(/internalNote|join__|link__|@link|@join|@key|@inaccessible|_entities|_service/);
    const schema = buildSchema(api);
    expect(validate(schema, parse('{ thing(id: "1") { id size } }'))).toEqual([]);
    expect(validate(schema, parse('{ thing(id: "1") { internalNote } }')).map((error) => error.message)).toEqual([
      'Cannot query field "internalNote" on type "Thing".',
    ]);
  });

  it('reports composition errors readably, with their codes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-'));
    const broken = join(dir, 'broken.graphql');
    // Money is @shareable everywhere else; a non-shareable copy with another field type must fail.
    writeFileSync(
      broken,
      'extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])\n' +
        'type Money { amount: String! currency: String! }\ntype Query { price: Money }\n',
    );
    const outcome = composeSupergraph({
      federationVersion: config.federationVersion,
      subgraphs: [...config.subgraphs, { name: 'broken', routingUrl: 'http://localhost:4999/graphql', schemaFile: broken }],
    });
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.errors.join('\n')).toMatch(/INVALID_FIELD_SHARING|FIELD_TYPE_MISMATCH/);
  });
});
