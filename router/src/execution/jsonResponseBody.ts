import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/**
 * Ends a response with a JSON text and a newline (as Apollo Server writes it), its
 * `content-length` set.
 *
 * A large result costs more to hand to the socket than to serialise when it goes as a string.
 * `JSON.stringify` returns a rope of parts; `Buffer.byteLength` flattened it into one new
 * string (a large object: fresh pages from the OS every time), Node's HTTP layer put the header
 * text in front of it (another rope) and the socket flattened and encoded that again into one
 * more buffer: three copies of the whole body, each a fresh allocation of its size. On The
 * Guild's workload those were a third of the router's CPU (`byteLength` 15 %, the socket's
 * `writev` 18 %). Here a large text is encoded once, into a buffer kept for the next response,
 * and the socket writes the header and that buffer as they are.
 *
 * A buffer goes back to the pool only once the response has finished (the socket has taken
 * every byte); a response that never finishes (the client left) keeps its buffer, which is
 * then collected like any other object.
 */
export function endWithJson(response: ServerResponse, status: number, headers: OutgoingHttpHeaders, json: string): void {
  if (json.length < POOLED_FROM_CHARACTERS || json.length > POOLED_UP_TO_CHARACTERS) {
    const payload = `${json}\n`;
    response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(payload) });
    response.end(payload);
    return;
  }
  // UTF-8 takes at most three bytes per UTF-16 code unit, so the text always fits.
  const buffer = bodyBuffers.take(json.length * 3 + 1);
  const written = buffer.write(json, 0, 'utf8');
  buffer[written] = NEWLINE;
  response.writeHead(status, { ...headers, 'content-length': written + 1 });
  response.end(buffer.subarray(0, written + 1), () => bodyBuffers.give(buffer));
}

/** Below this many characters the string path costs less than a buffer's bookkeeping. */
const POOLED_FROM_CHARACTERS = 16 * 1024;
/** Above, a buffer three times the text is not worth reserving: the string path as before. */
const POOLED_UP_TO_CHARACTERS = 16 * 1024 * 1024;
const NEWLINE = 0x0a;

/** Buffers of finished responses, for the next large ones; bounded in count and in bytes. */
class BodyBufferPool {
  private readonly free: Buffer[] = [];
  private freeBytes = 0;

  constructor(
    private readonly maxBuffers: number,
    private readonly maxBytes: number,
  ) {}

  /** A buffer of at least `bytes`: a free one if one is large enough, else a new one. */
  take(bytes: number): Buffer {
    for (let index = 0; index < this.free.length; index++) {
      const buffer = this.free[index] as Buffer;
      if (buffer.length < bytes) continue;
      this.free.splice(index, 1);
      this.freeBytes -= buffer.length;
      return buffer;
    }
    // Sizes in powers of two from 64 KiB, so buffers fit the next responses of a similar size.
    return Buffer.allocUnsafeSlow(Math.max(64 * 1024, 2 ** Math.ceil(Math.log2(bytes))));
  }

  give(buffer: Buffer): void {
    if (this.free.length >= this.maxBuffers || this.freeBytes + buffer.length > this.maxBytes) return;
    this.free.push(buffer);
    this.freeBytes += buffer.length;
  }
}

/** Up to 64 concurrent large responses' buffers, at most 32 MiB, are kept between responses. */
const bodyBuffers = new BodyBufferPool(64, 32 * 1024 * 1024);
