import type { ServerResponse } from 'node:http';

/**
 * Ends a response with a JSON text and a newline (as Apollo Server writes it), its
 * `content-length` set.
 *
 * A large result costs more to hand to the socket than to serialise when it goes as one string.
 * `JSON.stringify` returns a rope of 16 K-character parts; whatever reads it as bytes flattens
 * it into one string first, and a flat string over 128 KB is a large object in V8, on fresh
 * pages from the OS every time: flattening a 320 KB rope costs more than the `stringify` that
 * made it (about 4 ns per character above that size, next to nothing below it). As a string the
 * body was flattened by `Buffer.byteLength`, put behind the header text by Node's HTTP layer,
 * and flattened and encoded again by the socket.
 *
 * So a large body is encoded into a buffer kept for the next response, and written beside the
 * header as it is. With `inPieces` (the shaper saw many list items), it is serialised in pieces
 * that stay under that size (writeResponseInPieces below), so no large string is made; otherwise it is
 * stringified whole and flattened once.
 *
 * A buffer goes back to the pool only once the response has finished (the socket has taken
 * every byte); a response that never finishes (the client left) keeps its buffer, which is
 * then collected like any other object.
 */
export function endWithJson(response: ServerResponse, status: number, headers: ResponseHeaders, body: unknown, inPieces = false): void {
  let bytes: BodyBytes;
  if (inPieces && isWalkable(body)) {
    bytes = new BodyBytes(INITIAL_PIECES_BYTES);
    writeResponseInPieces(bytes, body);
  } else {
    const json = JSON.stringify(body);
    if (json.length < POOLED_FROM_CHARACTERS || json.length > POOLED_UP_TO_CHARACTERS) {
      const payload = `${json}\n`;
      response.writeHead(status, { 'content-type': headers.contentType, 'content-length': Buffer.byteLength(payload), 'cache-control': headers.cacheControl });
      response.end(payload);
      return;
    }
    bytes = new BodyBytes(json.length * 3 + 1);
    bytes.write(json);
  }
  bytes.write('\n');
  response.writeHead(status, { 'content-type': headers.contentType, 'content-length': bytes.length, 'cache-control': headers.cacheControl });
  const buffer = bytes.buffer;
  response.end(buffer.subarray(0, bytes.length), () => bodyBuffers.give(buffer));
}

/** The response's own headers (one literal per response, as before: no spread on the hot path). */
export interface ResponseHeaders {
  readonly contentType: string;
  readonly cacheControl: string;
}

/** Below this many characters the flat string stays out of the large-object space (as PIECE_CHARACTERS): the string path costs no more. */
const POOLED_FROM_CHARACTERS = 60 * 1024;
/** Above, a buffer three times the text is not worth reserving: the string path as before. */
const POOLED_UP_TO_CHARACTERS = 16 * 1024 * 1024;
const INITIAL_PIECES_BYTES = 256 * 1024;

/** A body being written into a pooled buffer, moved to a larger one when it fills up. */
class BodyBytes {
  buffer: Buffer;
  length = 0;

  constructor(capacity: number) {
    this.buffer = bodyBuffers.take(capacity);
  }

  /**
   * Appends `text` as UTF-8. UTF-8 takes at most three bytes per UTF-16 code unit; only when that
   * much might not fit is the exact length counted, so buffers grow to what bodies take, not
   * three times it.
   */
  write(text: string): void {
    if (this.length + text.length * 3 > this.buffer.length) this.reserve(Buffer.byteLength(text));
    this.length += this.buffer.write(text, this.length, 'utf8');
  }

  /** Overwrites the byte at `at` (an ASCII character). */
  setByte(at: number, character: number): void {
    this.buffer[at] = character;
  }

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const larger = bodyBuffers.take(2 * (this.length + bytes));
    this.buffer.copy(larger, 0, 0, this.length);
    bodyBuffers.give(this.buffer);
    this.buffer = larger;
  }
}

/**
 * Writes exactly `JSON.stringify(value)` (a plain object: the response), in pieces no larger
 * than PIECE_CHARACTERS where the value allows: the response's members, and the root fields
 * under `data`, are stringified one by one; a piece that comes out larger is not written but
 * taken apart (a list a slice of items at a time, an object member by member) and its text
 * dropped unflattened, which costs only its `stringify`. Short pieces flatten in V8's ordinary
 * heap, next to nothing.
 */
function writeResponseInPieces(out: BodyBytes, response: Readonly<Record<string, unknown>>): void {
  writeMembers(out, response, (key) => key === 'data');
}

/** Below V8's large-object size (128 KB) even as two-byte text (two bytes a character). */
const PIECE_CHARACTERS = 60 * 1024;
const COMMA = 0x2c;

/** `{…}` member by member; the members `takenApart` says are written as known to be large. */
function writeMembers(out: BodyBytes, object: Readonly<Record<string, unknown>>, takenApart: (key: string) => boolean = () => false): void {
  out.write('{');
  let first = true;
  for (const key of Object.keys(object)) {
    const value = object[key];
    const member = `${first ? '' : ','}${JSON.stringify(key)}:`;
    if (takenApart(key) && isWalkable(value)) {
      out.write(member);
      writeMembers(out, value);
    } else {
      // As stringify leaves out a member JSON has no value for (undefined, a function, a
      // toJSON that answers undefined).
      const text = JSON.stringify(value) as string | undefined;
      if (text === undefined) continue;
      out.write(member);
      writePiece(out, value, text);
    }
    first = false;
  }
  out.write('}');
}

/** `text` is `JSON.stringify(value)`: written if short, else the value is taken apart. */
function writePiece(out: BodyBytes, value: unknown, text: string): void {
  if (text.length <= PIECE_CHARACTERS) out.write(text);
  else if (Array.isArray(value) && value.length > 1) writeSlices(out, value, text.length / value.length);
  else if (isWalkable(value)) writeMembers(out, value);
  else out.write(text);
}

/** A long list, a slice of items at a time, each slice sized from what the items took so far. */
function writeSlices(out: BodyBytes, items: readonly unknown[], charactersPerItem: number): void {
  let perItem = charactersPerItem;
  for (let start = 0, end = 0; start < items.length; start = end) {
    end = Math.min(items.length, start + Math.max(1, Math.floor(PIECE_CHARACTERS / perItem)));
    const slice = items.slice(start, end);
    const text = JSON.stringify(slice);
    const at = out.length;
    if (end - start === 1 && text.length > PIECE_CHARACTERS) {
      // One large item: taken apart itself, between the brackets (or the comma) written here.
      const item = items[start];
      out.write(start === 0 ? '[' : ',');
      // As stringify writes what JSON has no value for inside an array.
      const itemText = JSON.stringify(item) as string | undefined;
      if (itemText === undefined) out.write('null');
      else writePiece(out, item, itemText);
      if (end === items.length) out.write(']');
    } else {
      // "[a,b]": its "[" opens the list (first slice) or becomes the comma after the previous
      // slice; its "]" is dropped but for the last slice.
      out.write(text);
      if (start > 0) out.setByte(at, COMMA);
      if (end < items.length) out.length -= 1;
    }
    perItem = Math.max(1, text.length / (end - start));
  }
}

/** A plain object stringify would write member by member (no toJSON, no class of its own). */
function isWalkable(value: unknown): value is Readonly<Record<string, unknown>> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  return typeof (value as { toJSON?: unknown }).toJSON !== 'function';
}

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
