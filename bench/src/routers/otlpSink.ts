/**
 * The benchmark's trace receiver: accepts OTLP/HTTP exports (`POST /v1/traces`), reads them
 * whole and answers 200 with an empty ExportTraceServiceResponse, counting spans' bytes but
 * decoding nothing, so a traced router pays for producing and sending its spans and the
 * receiver stays cheap. Run as its own process on the service core: `node otlpSink.js <port>`.
 * `GET /stats` answers how many exports and bytes arrived.
 */
import { createServer } from 'node:http';

const port = Number(process.argv[2]);
let exported = 0;
let bytes = 0;

createServer((request, response) => {
  if (request.method === 'GET' && request.url === '/stats') {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ exports: exported, bytes }));
    return;
  }
  request.on('data', (chunk: Buffer) => (bytes += chunk.length));
  request.on('end', () => {
    exported += 1;
    const json = (request.headers['content-type'] ?? '').includes('json');
    response.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' });
    response.end(json ? '{}' : undefined);
  });
}).listen(port, '127.0.0.1');
