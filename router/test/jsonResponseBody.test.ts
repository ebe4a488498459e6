import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { endWithJson } from '../src/execution/jsonResponseBody';

// endWithJson must send exactly JSON.stringify's text and a newline, with its content-length,
// whatever the size and characters, whole or in pieces, and never let one response's bytes into
// another's (large bodies go through buffers reused between responses).

let server: Server;
let url: string;
const bodies = new Map<string, unknown>();

beforeAll(async () => {
  server = createServer((request, response) => {
    endWithJson(response, 200, { contentType: 'application/json', cacheControl: 'no-store' }, bodies.get(request.url ?? '') ?? null);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** A value whose JSON is about `characters` characters, distinct for `seed`, with non-ASCII text in it. */
function valueOf(seed: number, characters: number): unknown {
  const items: unknown[] = [];
  let length = 0;
  for (let index = 0; length < characters; index++) {
    const item = { seed, index, name: `item ${seed}-${index} Ünïcödé ✓ 𝄞 \u2028 "quoted" \\`, price: index * 1.25 };
    items.push(item);
    length += JSON.stringify(item).length + 1;
  }
  return { data: { items } };
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
  bodies.set('/huge-a', valueOf(7, 4_000_000));
  bodies.set('/huge-b', valueOf(8, 4_000_000));
  const slow = fetchRaw('/huge-a', true);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const fast = await fetchRaw('/huge-b');
  expect(fast.body.equals(Buffer.from(`${JSON.stringify(bodies.get('/huge-b'))}\n`, 'utf8'))).toBe(true);
  expect((await slow).body.equals(Buffer.from(`${JSON.stringify(bodies.get('/huge-a'))}\n`, 'utf8'))).toBe(true);
}, 60_000);

test.each([
  ['empty object', {}],
  ['small', valueOf(1, 2_000)],
  ['just under the pooled size', valueOf(2, 60 * 1024 - 300)],
  ['just over the pooled size', valueOf(4, 60 * 1024 + 300)],
  ['large', valueOf(3, 300_000)],
  ['large, ASCII only', { data: 'x'.repeat(200_000) }],
])('%s: the JSON text and a newline, with its content-length and the given headers', async (_name, value) => {
  const json = JSON.stringify(value);
  const path = `/one-${_name.replace(/\W+/g, '-')}`;
  bodies.set(path, value);
  const { status, headers, body } = await fetchRaw(path);
  expect(status).toBe(200);
  expect(headers['cache-control']).toBe('no-store');
  expect(headers['content-type']).toBe('application/json');
  expect(Number(headers['content-length'])).toBe(Buffer.byteLength(json) + 1);
  expect(body.equals(Buffer.from(`${json}\n`, 'utf8'))).toBe(true);
});

test('many large responses at once, some read slowly: each gets its own bytes (pooled buffers are not reused while in flight)', async () => {
  const paths = Array.from({ length: 24 }, (_, index) => {
    const path = `/many-${index}`;
    bodies.set(path, valueOf(100 + index, 40_000 + index * 7_000));
    return path;
  });
  for (let wave = 0; wave < 3; wave++) {
    const answers = await Promise.all(paths.map((path, index) => fetchRaw(path, index % 3 === 0)));
    answers.forEach((answer, index) => {
      expect(answer.body.equals(Buffer.from(`${JSON.stringify(bodies.get(paths[index]!))}\n`, 'utf8'))).toBe(true);
    });
  }
});


describe('in pieces (a result with many list items)', () => {
  /** A fixed-seed generator, so a failure repeats. */
  function generator(seed: number) {
    let state = seed;
    const next = (below: number) => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state % below;
    };
    const texts = ['', 'plain', 'Ünïcödé ✓', '𝄞 surrogate', 'line\nbreak "quoted" \\ \u2028\u2029', '\u0000\u001f', 'x'.repeat(300)];
    const scalar = (): unknown => {
      switch (next(10)) {
        case 0: return null;
        case 1: return next(2) === 0;
        case 2: return next(1_000_000) - 500_000;
        case 3: return [1.5, -0, Number.NaN, Number.POSITIVE_INFINITY, 1e21, 5e-324][next(6)];
        case 4: return undefined;
        case 5: return () => 1;
        case 6: return new Date(Date.UTC(2026, 11, next(28) + 1));
        case 7: {
          const answer = next(2) === 0 ? 'via toJSON' : undefined;
          return { toJSON: () => answer };
        }
        default: return texts[next(texts.length)];
      }
    };
    const value = (depth: number): unknown => {
      const kind = depth > 4 ? 0 : next(6);
      if (kind <= 1) return scalar();
      if (kind <= 3) {
        const length = (depth <= 1 ? [0, 1, 3, 31, 32, 33, 200] : [0, 1, 3, 31, 32, 33])[next(depth <= 1 ? 7 : 6)] as number;
        return Array.from({ length }, () => value(depth + 1));
      }
      const object: Record<string, unknown> = next(8) === 0 ? Object.create(null) : {};
      const keys = ['id', 'name', '2', '10', '__typename', 'a"b', 'ünï', '__proto__', 'list', 'nested'];
      for (let index = next(keys.length); index < keys.length; index += 1 + next(3)) {
        Object.defineProperty(object, keys[index]!, { value: value(depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return object;
    };
    return value;
  }

  test('600 random values: exactly JSON.stringify\'s text', async () => {
    const server2 = createServer();
    let current: unknown;
    server2.on('request', (_request, response) => endWithJson(response, 200, { contentType: 'application/json', cacheControl: 'no-store' }, current, true));
    await new Promise<void>((resolve) => server2.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server2.address() as AddressInfo).port}`;
    try {
      const value = generator(42);
      let large = 0;
      for (let round = 0; round < 600; round++) {
        current = { data: value(0), extensions: round % 2 === 0 ? undefined : { cost: round } };
        const expected = `${JSON.stringify(current)}\n`;
        if (expected.length > 64 * 1024) large++;
        const answer = await fetch(base);
        expect(Buffer.from(await answer.arrayBuffer()).equals(Buffer.from(expected, 'utf8'))).toBe(true);
        expect(Number(answer.headers.get('content-length'))).toBe(Buffer.byteLength(expected));
      }
      // Some of them large enough to be written in many slices and to grow the buffer.
      expect(large).toBeGreaterThan(5);
    } finally {
      await new Promise<void>((resolve) => server2.close(() => resolve()));
    }
  }, 60_000);

  test('a list of many large items, slices sized from the first: the same text', async () => {
    const item = (index: number) => ({ id: `item-${index}`, reviews: Array.from({ length: 40 }, (_, review) => ({ body: `review ${review} ✓ of ${index}`, stars: review % 5 })) });
    const body = { data: { items: Array.from({ length: 3_000 }, (_, index) => item(index)), few: [item(-1)] } };
    const server3 = createServer((_request, response) => endWithJson(response, 200, { contentType: 'application/json', cacheControl: 'no-store' }, body, true));
    await new Promise<void>((resolve) => server3.listen(0, '127.0.0.1', resolve));
    try {
      const answer = await fetch(`http://127.0.0.1:${(server3.address() as AddressInfo).port}`);
      expect(Buffer.from(await answer.arrayBuffer()).equals(Buffer.from(`${JSON.stringify(body)}\n`, 'utf8'))).toBe(true);
    } finally {
      await new Promise<void>((resolve) => server3.close(() => resolve()));
    }
  }, 60_000);
});
