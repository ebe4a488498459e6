import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ROOT_CONTEXT, trace, traceLogFields, type Context, type Logger, type Span } from '@booking/runtime/dist/router';
import type { RouterMetrics } from '../observability/routerMetrics';
import { describeOperation, openRequestSpan } from './requestSpan';
import type { RequestStage } from './requestPipeline';
import type { MaskedSubgraphErrorLog } from './subgraphErrorPolicy';

/** The most of a masked subgraph error's message the request's line keeps. */
const MASKED_MESSAGE_CHARACTERS = 500;

/** The most subgraph refusals, and masked errors, one request's line lists (a list field can fail per item). */
const MAX_DETAILS = 10;

/** The header a request id comes in (from a proxy or the client) and goes back out in. */
export const REQUEST_ID_HEADER = 'x-request-id';

/**
 * An incoming id is kept only when it could not carry anything into a log line but an id:
 * 1–128 visible ASCII letters, digits and `-_.:` (UUIDs, ULIDs, AWS and Heroku ids all fit).
 */
const WELL_FORMED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's id when it is well formed, else a fresh UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && WELL_FORMED_REQUEST_ID.test(header) ? header : randomUUID();
}

/** How the operation came: a POST or GET, a multipart or SSE stream, or a graphql-ws socket. */
export type Transport = 'POST' | 'GET' | 'multipart' | 'sse' | 'ws';

export type OperationType = 'query' | 'mutation' | 'subscription';

/** What execution tells the log about a subgraph call (see SubgraphClient and SubgraphDataSource). */
export interface SubgraphCallLog extends MaskedSubgraphErrorLog {
  /** The request's trace context: its subgraph calls' spans are its children. */
  readonly traceContext: Context;
  /** A subgraph answered with a 4xx status: on the request's line, which then goes out at warn. */
  subgraphRefused(serviceName: string, status: number): void;
}

/** An error as any transport holds it: all the log reads is its code. */
interface CodedError {
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/**
 * Where a record goes when its request ends: the log line (at LOG_LEVEL=info or below) and the
 * request metrics (always).
 */
interface RecordSink {
  readonly logger: Logger;
  readonly lines: boolean;
  readonly metrics: RouterMetrics | undefined;
}

/** Client-chosen names are capped, so a log line stays a line. */
const MAX_OPERATION_NAME = 128;

/**
 * One request's log line, filled in by whichever transport runs it and written once, when the
 * request ends (or, for a subscription, once when it starts and once when it ends). It holds
 * only what is safe to log: ids, names, codes, counts, times; never variables, tokens, headers
 * or response data. Errors are read as the transport already holds them (codes only), so
 * nothing is serialised again.
 */
export class RequestLogRecord implements SubgraphCallLog {
  private operationName: string | null = null;
  private operationType: OperationType | null = null;
  private errorCodes: string[] | undefined;
  private subgraphRefusals: { subgraph: string; status: number }[] | undefined;
  private maskedErrors: { subgraph: string; code: unknown; path: unknown; message: unknown }[] | undefined;
  private failure: unknown;
  private events = 0;
  private streaming = false;
  private streamingListener: (() => void) | undefined;
  private readonly startedAt = performance.now();
  /**
   * The parent of every span of this request (parse, validate, plan, subgraph calls), passed
   * explicitly: the router has no context manager (see requestSpan). The root context when the
   * request has no span (tracing off, a graphql-ws subscription).
   */
  readonly traceContext: Context;

  constructor(
    private readonly sink: RecordSink,
    readonly requestId: string,
    private transport: Transport,
    private readonly clientAddress: string | undefined,
    /** A graphql-ws subscription's id on its socket. */
    private readonly subscriptionId?: string,
    /** The request's server span (tracing on): it is named after the operation too. */
    private readonly span?: Span,
  ) {
    this.traceContext = span ? trace.setSpan(ROOT_CONTEXT, span) : ROOT_CONTEXT;
  }

  /** The operation as resolved from the document (never the raw body's `operationName`). */
  operation(name: string | null | undefined, type: OperationType): void {
    this.operationName = name ? (name.length > MAX_OPERATION_NAME ? `${name.slice(0, MAX_OPERATION_NAME)}…` : name) : null;
    this.operationType = type;
    describeOperation(this.span, this.operationName, type);
  }

  /** Errors that went (or go) to the client; their distinct codes are logged. */
  errors(errors: readonly CodedError[] | undefined): void {
    if (!errors) return;
    for (const error of errors) {
      const code = error.extensions?.code;
      const name = typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
      if (!this.errorCodes) this.errorCodes = [name];
      else if (!this.errorCodes.includes(name)) this.errorCodes.push(name);
    }
  }

  /**
   * The request was refused before execution (a limit, the rate limit, a token, CSRF, a quota):
   * its code goes in the line and in the refusals metric.
   */
  refused(code: string): void {
    this.errors([{ extensions: { code } }]);
    this.sink.metrics?.refused(code);
  }

  /** The subscriber was cut off for reading too slowly (SLOW_CONSUMER), whatever its transport. */
  slowConsumer(): void {
    this.sink.metrics?.slowConsumerClosed();
  }

  /** One subscription event went to the client (its errors, if any, are recorded too). */
  event(errors: readonly CodedError[] | undefined): void {
    this.events += 1;
    this.sink.metrics?.eventDelivered();
    if (errors) this.errors(errors);
  }

  /** A subscription stream opens: one line now, and the request's last line says how it ended. */
  streamStarted(transport: Transport): void {
    this.transport = transport;
    this.streaming = true;
    this.streamingListener?.();
    if (this.sink.lines) this.sink.logger.info(this.fields(), 'subscription started');
  }

  /** Called once if this request becomes a subscription stream (load shedding gives its slot back). */
  onStreaming(listener: () => void): void {
    this.streamingListener = listener;
  }

  /** A subgraph answered with a 4xx status (the router sent it something it refused): on this request's line. */
  subgraphRefused(serviceName: string, status: number): void {
    this.subgraphRefusals ??= [];
    if (this.subgraphRefusals.length < MAX_DETAILS && !this.subgraphRefusals.some((known) => known.subgraph === serviceName && known.status === status)) {
      this.subgraphRefusals.push({ subgraph: serviceName, status });
    }
  }

  /**
   * SUBGRAPH_ERRORS=mask hid a subgraph error from the client (it saw INTERNAL_SERVER_ERROR):
   * its original (code, path, message) goes on this request's line, the only place it is kept.
   */
  subgraphErrorMasked(serviceName: string, original: { readonly message: unknown; readonly code: unknown; readonly path: unknown }): void {
    this.maskedErrors ??= [];
    if (this.maskedErrors.length >= MAX_DETAILS) return;
    this.maskedErrors.push({
      subgraph: serviceName,
      code: original.code,
      path: original.path,
      // What on-call needs to find the fault; a subgraph's message may quote input, so it is
      // cut short (variables themselves are never logged).
      message: typeof original.message === 'string' ? original.message.slice(0, MASKED_MESSAGE_CHARACTERS) : original.message,
    });
  }

  /**
   * The router itself failed while serving the request (a bug, not the client's or a
   * subgraph's doing): the error, with its stack, goes on this request's line, and the client
   * was told INTERNAL_SERVER_ERROR. The first failure is kept.
   */
  failed(error: unknown): void {
    this.failure ??= error;
    this.errors([{ extensions: { code: 'INTERNAL_SERVER_ERROR' } }]);
  }

  /**
   * The request's line, written once. `status` is the HTTP status (absent for a graphql-ws
   * subscription); `aborted` means the client left before its answer was complete. Every error
   * of the request is on it, once: the codes the client saw and, for what on-call must act on,
   * the details (a subgraph's 4xx, a masked error's original, the router's own failure), which
   * raise the line to warn or error so it is kept at LOG_LEVEL=warn.
   */
  finish(status: number | undefined, aborted = false): void {
    const level = this.failure !== undefined ? 'error' : this.subgraphRefusals || this.maskedErrors ? 'warn' : 'info';
    const failed = aborted || (status !== undefined && status >= 400) || this.errorCodes !== undefined;
    const outcome = aborted ? 'aborted' : failed ? 'error' : 'ok';
    const elapsedMs = performance.now() - this.startedAt;
    this.sink.metrics?.requestEnded(this.operationName, this.operationType ?? 'unknown', outcome, elapsedMs / 1_000, this.streaming);
    if (level === 'info' ? !this.sink.lines : !this.sink.logger.isLevelEnabled(level)) return;
    // One object, written once (pino leaves the undefined fields out).
    this.sink.logger[level](
      {
        ...this.fields(),
        status,
        outcome,
        errorCodes: this.errorCodes,
        subgraphRefusals: this.subgraphRefusals,
        maskedErrors: this.maskedErrors,
        err: this.failure,
        events: this.streaming ? this.events : undefined,
        durationMs: Math.round(elapsedMs * 10) / 10,
      },
      this.streaming ? 'subscription ended' : 'request',
    );
  }

  /**
   * `trace_id` and `span_id` of a sampled request, for any line that names it (the logger's
   * mixin cannot: the router has no active span).
   */
  traceIds(): Record<string, string> {
    return traceLogFields(this.span);
  }

  private fields() {
    return {
      requestId: this.requestId,
      subscriptionId: this.subscriptionId,
      transport: this.transport,
      clientAddress: this.clientAddress,
      operationName: this.operationName,
      operationType: this.operationType,
      ...this.traceIds(),
    };
  }
}

/**
 * The request-log stage of the router's pipeline (in front of the others, so even refused requests are logged):
 * it gives every /graphql request an id (the caller's `x-request-id` if well formed, else a new
 * one), returns it in the `x-request-id` response header, and writes one line when the
 * response is done. Transports add what only they know through `of(request)`; graphql-ws
 * subscriptions, which have no response of their own, get theirs from `forSubscription`.
 * At LOG_LEVEL=warn the id is still assigned and returned, and only the lines of requests
 * that need on-call (a subgraph's 4xx, a masked subgraph error, the router's own failure) are
 * written.
 */
export class RequestLog {
  private readonly records = new WeakMap<IncomingMessage, RequestLogRecord>();
  private readonly sink: RecordSink;

  /** `metrics`: where each ended request is counted and timed, whatever the log level. */
  constructor(logger: Logger, metrics?: RouterMetrics) {
    this.sink = { logger, lines: logger.isLevelEnabled('info'), metrics };
  }

  /**
   * The request pipeline with this stage in front: every request gets its record before any
   * other stage runs, and a refusal's code (CSRF...) goes in its line.
   */
  around(pipeline: RequestStage): RequestStage {
    return (request, response) => {
      const record = this.start(request, response);
      // Always: a line may be due at warn or error (its details), and metrics count every request.
      response.once('close', () => record.finish(response.statusCode, !response.writableFinished));
      const refusal = pipeline(request, response);
      if (refusal && refusal !== 'answered') record.refused(refusal.code);
      return refusal;
    };
  }

  /** The request's record; a request that bypassed the stage gets one that is never written. */
  of(request: IncomingMessage): RequestLogRecord {
    return this.records.get(request) ?? new RequestLogRecord(this.unwritten, requestIdOf(request.headers[REQUEST_ID_HEADER]), transportOf(request), request.socket.remoteAddress);
  }

  /** The record of one graphql-ws subscription on a socket opened by `upgrade` (whose id it shares). */
  forSubscription(upgrade: IncomingMessage, subscriptionId: string): RequestLogRecord {
    return new RequestLogRecord(this.sink, this.of(upgrade).requestId, 'ws', upgrade.socket.remoteAddress, subscriptionId);
  }

  /** Ends a graphql-ws subscription's record (a socket has no HTTP status). */
  finishSubscription(record: RequestLogRecord): void {
    record.finish(undefined);
  }

  /** A graphql-ws subscription was refused before it started: one line with the codes. */
  refusedSubscription(record: RequestLogRecord, errors: readonly CodedError[]): void {
    for (const error of errors) record.refused(typeof error.extensions?.code === 'string' ? error.extensions.code : 'INTERNAL_SERVER_ERROR');
    record.finish(undefined);
  }

  /** A WebSocket upgrade: the socket's id, returned in the 101 response's headers. */
  upgraded(upgrade: IncomingMessage): string {
    const record = new RequestLogRecord(this.sink, requestIdOf(upgrade.headers[REQUEST_ID_HEADER]), 'ws', upgrade.socket.remoteAddress);
    this.records.set(upgrade, record);
    return record.requestId;
  }

  /** A record that is never finished (its request bypassed the stage); its warnings are still logged. */
  private get unwritten(): RecordSink {
    return { logger: this.sink.logger, lines: false, metrics: undefined };
  }

  private start(request: IncomingMessage, response: ServerResponse): RequestLogRecord {
    const record = new RequestLogRecord(
      this.sink,
      requestIdOf(request.headers[REQUEST_ID_HEADER]),
      transportOf(request),
      request.socket.remoteAddress,
      undefined,
      openRequestSpan(request, response),
    );
    this.records.set(request, record);
    response.setHeader(REQUEST_ID_HEADER, record.requestId);
    return record;
  }
}

function transportOf(request: IncomingMessage): Transport {
  return request.method === 'GET' ? 'GET' : 'POST';
}
