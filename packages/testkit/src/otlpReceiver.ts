import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** A span as an OTLP exporter sent it, decoded. Ids are lowercase hex, as W3C traceparent writes them. */
export interface ReceivedSpan {
  readonly service: string;
  readonly scope: string;
  readonly traceId: string;
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly startNanos: bigint;
  readonly endNanos: bigint;
  readonly attributes: Readonly<Record<string, string | number | boolean>>;
  readonly links: readonly { readonly traceId: string; readonly spanId: string }[];
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  readonly statusCode: number;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 } as const;

export interface OtlpReceiver {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT (the exporter appends /v1/traces). */
  readonly url: string;
  readonly spans: ReceivedSpan[];
  /** How many export requests arrived, by content type. */
  readonly requests: Record<string, number>;
  waitFor(match: (spans: readonly ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * An OTLP/HTTP trace receiver on a free port, as a collector would be: it accepts
 * `POST /v1/traces` in the default protocol (http/protobuf), or http/json, decodes
 * ExportTraceServiceRequest and keeps every span.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const requests: Record<string, number> = {};
  const listeners = new Set<() => void>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      let body = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim();
      requests[contentType] = (requests[contentType] ?? 0) + 1;
      try {
        spans.push(...(contentType === 'application/json' ? decodeJson(body.toString('utf8')) : decodeProtobuf(body)));
      } catch (error) {
        response.writeHead(400, { 'content-type': 'text/plain' }).end(String(error));
        return;
      }
      // An empty ExportTraceServiceResponse: everything accepted.
      if (contentType === 'application/json') response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      else response.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      listeners.forEach((listener) => listener());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    requests,
    waitFor(match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!match(spans)) return false;
          clearTimeout(timer);
          listeners.delete(check);
          resolve();
          return true;
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`the expected spans did not arrive within ${timeoutMs} ms; received:\n${spans.map((span) => `${span.service} ${span.name} ${span.traceId}`).join('\n')}`));
        }, timeoutMs);
        if (!check()) listeners.add(check);
      });
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The spans of one trace as an indented tree (children by start time), for reading. */
export function spanTree(spans: readonly ReceivedSpan[], traceId: string): string {
  const inTrace = spans.filter((span) => span.traceId === traceId).sort((a, b) => (a.startNanos < b.startNanos ? -1 : 1));
  const ids = new Set(inTrace.map((span) => span.spanId));
  const kinds = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
  const lines: string[] = [];
  const walk = (parent: string, depth: number) => {
    for (const span of inTrace.filter((candidate) => (parent === '' ? !ids.has(candidate.parentSpanId) : candidate.parentSpanId === parent))) {
      const ms = Number(span.endNanos - span.startNanos) / 1e6;
      lines.push(`${'  '.repeat(depth)}${span.service}: ${span.name} [${kinds[span.kind]}] ${ms.toFixed(1)} ms`);
      walk(span.spanId, depth + 1);
    }
  };
  walk('', 0);
  return lines.join('\n');
}

// --- OTLP protobuf (opentelemetry/proto/collector/trace/v1), just the fields we read ---

type Field = { readonly number: number; readonly wire: number; readonly varint?: bigint; readonly bytes?: Buffer; readonly fixed?: Buffer };

/** The fields of one protobuf message, in order (wire types 0, 1, 2 and 5). */
function fieldsOf(buffer: Buffer): Field[] {
  const fields: Field[] = [];
  let offset = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (offset >= buffer.length) throw new Error('truncated varint');
      const byte = buffer[offset++]!;
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (offset < buffer.length) {
    const tag = Number(varint());
    const number = tag >>> 3;
    const wire = tag & 7;
    if (wire === 0) fields.push({ number, wire, varint: varint() });
    else if (wire === 1) {
      fields.push({ number, wire, fixed: buffer.subarray(offset, offset + 8) });
      offset += 8;
    } else if (wire === 2) {
      const length = Number(varint());
      fields.push({ number, wire, bytes: buffer.subarray(offset, offset + length) });
      offset += length;
    } else if (wire === 5) {
      fields.push({ number, wire, fixed: buffer.subarray(offset, offset + 4) });
      offset += 4;
    } else throw new Error(`unsupported wire type ${wire}`);
  }
  return fields;
}

const all = (fields: Field[], number: number) => fields.filter((field) => field.number === number);
const one = (fields: Field[], number: number) => fields.find((field) => field.number === number);
const text = (field: Field | undefined) => field?.bytes?.toString('utf8') ?? '';
const hex = (field: Field | undefined) => field?.bytes?.toString('hex') ?? '';

function anyValue(buffer: Buffer): string | number | boolean {
  const [field] = fieldsOf(buffer);
  if (!field) return '';
  switch (field.number) {
    case 1:
      return text(field);
    case 2:
      return field.varint === 1n;
    case 3:
      return Number(BigInt.asIntN(64, field.varint ?? 0n));
    case 4:
      return field.fixed?.readDoubleLE(0) ?? 0;
    default:
      return `<${field.number}>`;
  }
}

function attributesOf(fields: Field[], number: number): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {};
  for (const keyValue of all(fields, number)) {
    const parts = fieldsOf(keyValue.bytes!);
    const value = one(parts, 2)?.bytes;
    attributes[text(one(parts, 1))] = value ? anyValue(value) : '';
  }
  return attributes;
}

function decodeProtobuf(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of all(fieldsOf(body), 1)) {
    const parts = fieldsOf(resourceSpans.bytes!);
    const resource = one(parts, 1)?.bytes;
    const service = String(resource ? (attributesOf(fieldsOf(resource), 1)['service.name'] ?? '') : '');
    for (const scopeSpans of all(parts, 2)) {
      const scopeParts = fieldsOf(scopeSpans.bytes!);
      const scopeBytes = one(scopeParts, 1)?.bytes;
      const scope = scopeBytes ? text(one(fieldsOf(scopeBytes), 1)) : '';
      for (const spanField of all(scopeParts, 2)) {
        const span = fieldsOf(spanField.bytes!);
        const status = one(span, 15)?.bytes;
        spans.push({
          service,
          scope,
          traceId: hex(one(span, 1)),
          spanId: hex(one(span, 2)),
          parentSpanId: hex(one(span, 4)),
          name: text(one(span, 5)),
          kind: Number(one(span, 6)?.varint ?? 0n),
          startNanos: one(span, 7)?.fixed?.readBigUInt64LE(0) ?? 0n,
          endNanos: one(span, 8)?.fixed?.readBigUInt64LE(0) ?? 0n,
          attributes: attributesOf(span, 9),
          links: all(span, 13).map((link) => {
            const linkParts = fieldsOf(link.bytes!);
            return { traceId: hex(one(linkParts, 1)), spanId: hex(one(linkParts, 2)) };
          }),
          statusCode: status ? Number(one(fieldsOf(status), 3)?.varint ?? 0n) : 0,
        });
      }
    }
  }
  return spans;
}

// --- OTLP/JSON (ids in hex, as the OTLP JSON encoding specifies) ---

interface JsonKeyValue {
  key: string;
  value: { stringValue?: string; boolValue?: boolean; intValue?: string | number; doubleValue?: number };
}

function jsonAttributes(list: JsonKeyValue[] | undefined): Record<string, string | number | boolean> {
  const attributes: Record<string, string | number | boolean> = {};
  for (const { key, value } of list ?? []) attributes[key] = value.stringValue ?? value.boolValue ?? (value.intValue !== undefined ? Number(value.intValue) : (value.doubleValue ?? ''));
  return attributes;
}

interface JsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes?: JsonKeyValue[];
  links?: { traceId: string; spanId: string }[];
  status?: { code?: number };
}

function decodeJson(body: string): ReceivedSpan[] {
  const parsed = JSON.parse(body) as {
    resourceSpans?: { resource?: { attributes?: JsonKeyValue[] }; scopeSpans?: { scope?: { name?: string }; spans?: JsonSpan[] }[] }[];
  };
  return (parsed.resourceSpans ?? []).flatMap((resourceSpans) =>
    (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map((span) => ({
        service: String(jsonAttributes(resourceSpans.resource?.attributes)['service.name'] ?? ''),
        scope: scopeSpans.scope?.name ?? '',
        traceId: span.traceId,
        spanId: span.spanId,
        parentSpanId: span.parentSpanId ?? '',
        name: span.name,
        kind: span.kind,
        startNanos: BigInt(span.startTimeUnixNano),
        endNanos: BigInt(span.endTimeUnixNano),
        attributes: jsonAttributes(span.attributes),
        links: (span.links ?? []).map((link) => ({ traceId: link.traceId, spanId: link.spanId })),
        statusCode: span.status?.code ?? 0,
      })),
    ),
  );
}
