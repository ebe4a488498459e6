import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { endWithJson } from '../src/execution/jsonResponseBody';

// endWithJson must send exactly the JSON text and a newline, with its content-length, whatever
// the size and characters, and never let one response's bytes into another's (large bodies go
// through buffers reused between responses).

let server: Server;
let url: string;
const bodies = new Map<string, string>();

beforeAll(async () => {
  server = createServer((request, response) => {
    const json = bodies.get(request.url ?? '') ?? 'null';
    endWithJson(response, 200, { 'content-type': 'application/json', 'x-kept': 'yes' }, json);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A JSON text of about `characters` characters, distinct for `seed`, with non-ASCII text in it. */
function jsonOf(seed: number, characters: number): string {
  const items: unknown[] = [];
  let length = 0;
  for (let index = 0; length < characters; index++) {
    const item = { seed, index, name: `item ${seed}-${index} Ünïcödé ✓ 𝄞 \u2028 "quoted" \\`, price: index * 1.25 };
    items.push(item);
    length += JSON.stringify(item).length + 1;
  }
  return JSON.stringify({ data: { items } });
}

async function fetchRaw(path: string, slowly = false): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const call = httpRequest(`${url}${path}`, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        // A slow reader: the server's socket cannot take the whole body at once.
        if (slowly) {
          response.pause();
          setTimeout(() => response.resume(), 2);
        }
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    call.on('error', reject);
    call.end();
  });
}

test('a body larger than the socket takes at once, read slowly, while another is sent: neither is overwritten', async () => {
  // Several megabytes: more than loopback's socket buffers, so the first response's buffer is
  // still being written when the second response needs one. First in the file, so the pool is
  // fresh: the first buffer, were it given back too early, is the one the second would take.
  bodies.set('/huge-a', jsonOf(7, 4_000_000));
  bodies.set('/huge-b', jsonOf(8, 4_000_000));
  const slow = fetchRaw('/huge-a', true);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const fast = await fetchRaw('/huge-b');
  expect(fast.body.equals(Buffer.from(`${bodies.get('/huge-b')!}\n`, 'utf8'))).toBe(true);
  expect((await slow).body.equals(Buffer.from(`${bodies.get('/huge-a')!}\n`, 'utf8'))).toBe(true);
}, 60_000);

test.each([
  ['empty object', '{}'],
  ['small', jsonOf(1, 2_000)],
  ['just under the pooled size', jsonOf(2, 16 * 1024 - 200)],
  ['large', jsonOf(3, 300_000)],
  ['large, ASCII only', JSON.stringify({ data: 'x'.repeat(200_000) })],
])('%s: the JSON text and a newline, with its content-length and the given headers', async (_name, json) => {
  const path = `/one-${_name.replace(/\W+/g, '-')}`;
  bodies.set(path, json);
  const { status, headers, body } = await fetchRaw(path);
  expect(status).toBe(200);
  expect(headers['x-kept']).toBe('yes');
  expect(headers['content-type']).toBe('application/json');
  expect(Number(headers['content-length'])).toBe(Buffer.byteLength(json) + 1);
  expect(body.equals(Buffer.from(`${json}\n`, 'utf8'))).toBe(true);
});

test('many large responses at once, some read slowly: each gets its own bytes (pooled buffers are not reused while in flight)', async () => {
  const paths = Array.from({ length: 24 }, (_, index) => {
    const path = `/many-${index}`;
    bodies.set(path, jsonOf(100 + index, 40_000 + index * 7_000));
    return path;
  });
  for (let wave = 0; wave < 3; wave++) {
    const answers = await Promise.all(paths.map((path, index) => fetchRaw(path, index % 3 === 0)));
    answers.forEach((answer, index) => {
      const json = bodies.get(paths[index]!)!;
      expect(answer.body.equals(Buffer.from(`${json}\n`, 'utf8'))).toBe(true);
    });
  }
});

