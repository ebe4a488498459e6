/**
 * Serves the four Guild benchmark subgraphs from one process: POST /accounts, /inventory,
 * /products, /reviews. Documents are parsed and validated once each (the benchmark repeats
 * a handful of subgraph requests). Usage: node guildServer.js <port>
 */
import { createServer } from 'node:http';
import { execute, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { guildSubgraphSchemas, type GuildSubgraphName } from './subgraphs';

interface Request {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

const schemas = guildSubgraphSchemas();
const documents = new Map<string, { document: DocumentNode } | { errors: readonly { message: string }[] }>();

function prepare(schema: GraphQLSchema, subgraph: string, query: string) {
  const key = `${subgraph}\n${query}`;
  let prepared = documents.get(key);
  if (!prepared) {
    try {
      const document = parse(query);
      const errors = validate(schema, document);
      prepared = errors.length > 0 ? { errors: errors.map((error) => ({ message: error.message })) } : { document };
    } catch (error) {
      prepared = { errors: [{ message: error instanceof Error ? error.message : String(error) }] };
    }
    documents.set(key, prepared);
  }
  return prepared;
}

const server = createServer((request, response) => {
  const name = (request.url ?? '/').slice(1).split('?')[0] as GuildSubgraphName;
  const schema = schemas[name];
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const send = (status: number, body: unknown) =>
      response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (!schema || request.method !== 'POST') return send(404, { errors: [{ message: 'not found' }] });
    let body: Request;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Request;
    } catch {
      return send(400, { errors: [{ message: 'malformed JSON' }] });
    }
    const prepared = prepare(schema, name, body.query);
    if ('errors' in prepared) return send(400, { errors: prepared.errors });
    Promise.resolve(
      execute({ schema, document: prepared.document, variableValues: body.variables, operationName: body.operationName }),
    ).then(
      (result) => send(200, result),
      (error: unknown) => send(500, { errors: [{ message: String(error) }] }),
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 4200), '127.0.0.1', () => process.stdout.write('guild subgraphs ready\n'));
