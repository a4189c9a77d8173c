// OpenTelemetry traces across the gateway, the services and Redis: off unless an OTLP endpoint is set
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT). The SDK patches http, express
// and ioredis as they are required, so startTracing() must run before anything loads them: each app's
// main.ts imports its tracing.ts first. When tracing is off, none of the SDK is even loaded.
import { appendFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { NodeSDK, core } from '@opentelemetry/sdk-node';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** For tests only: write every span as one JSON line to this file instead of exporting it. */
export const TRACES_FILE_ENV = 'STOREFRONT_TRACES_FILE';

/** The attribute that carries the request id (the X-Request-Id the gateway makes or takes). */
export const REQUEST_ID_ATTRIBUTE = 'storefront.request_id';

// Probes and scrapes would outnumber the requests worth reading.
const UNTRACED_PATHS = new Set(['/healthz', '/readyz', '/metrics']);

/** A span as the test exporter writes it. */
export interface SpanRecord {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, unknown>;
}

/** Appends spans as JSON lines; synchronous, so a span is on disk once it has ended. */
class FileSpanExporter implements SpanExporter {
  constructor(private readonly path: string) {}

  export(spans: ReadableSpan[], done: (result: core.ExportResult) => void): void {
    const lines = spans.map((span) => {
      const record: SpanRecord = {
        service: String(span.resource.attributes['service.name']),
        traceId: span.spanContext().traceId,
        spanId: span.spanContext().spanId,
        parentSpanId: span.parentSpanContext?.spanId,
        name: span.name,
        kind: span.kind,
        attributes: span.attributes,
      };
      return `${JSON.stringify(record)}\n`;
    });
    try {
      appendFileSync(this.path, lines.join(''));
      done({ code: 0 });
    } catch (error) {
      done({ code: 1, error: error as Error });
    }
  }

  async shutdown(): Promise<void> {}
}

let running: NodeSDK | undefined;

/**
 * Starts tracing for `service` when the environment asks for it; returns whether it did. Spans go to
 * the OTLP endpoint configured by the standard OTEL_* variables (protocol, headers, sampler), or to
 * the test file.
 */
export function startTracing(service: string, env: NodeJS.ProcessEnv = process.env): boolean {
  const file = env[TRACES_FILE_ENV];
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (running || (!file && !endpoint)) return running !== undefined;
  // Loaded here, not imported: with tracing off the SDK costs neither start-up time nor memory.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { NodeSDK } = require('@opentelemetry/sdk-node') as typeof import('@opentelemetry/sdk-node');
  const { SimpleSpanProcessor } =
    require('@opentelemetry/sdk-trace-base') as typeof import('@opentelemetry/sdk-trace-base');
  const { HttpInstrumentation } =
    require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
  const { ExpressInstrumentation, ExpressLayerType } =
    require('@opentelemetry/instrumentation-express') as typeof import('@opentelemetry/instrumentation-express');
  const { IORedisInstrumentation } =
    require('@opentelemetry/instrumentation-ioredis') as typeof import('@opentelemetry/instrumentation-ioredis');
  const { UndiciInstrumentation } =
    require('@opentelemetry/instrumentation-undici') as typeof import('@opentelemetry/instrumentation-undici');
  /* eslint-enable @typescript-eslint/no-require-imports */

  running = new NodeSDK({
    serviceName: env.OTEL_SERVICE_NAME || service,
    // Without a span processor the SDK builds the OTLP exporter the OTEL_* variables describe.
    spanProcessors: file ? [new SimpleSpanProcessor(new FileSpanExporter(file))] : undefined,
    // Metrics are Prometheus's (/metrics) and logs pino's: the SDK would otherwise export both by OTLP.
    metricReaders: [],
    logRecordProcessors: [],
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?', 1)[0]),
        // No header is ever recorded (none is configured to be): Authorization, Cookie and the
        // identity hand-off stay out of every span. The request id is added once the response ends.
        applyCustomAttributesOnSpan: (span, request) => {
          const id = (request as IncomingMessage & { id?: unknown }).id;
          if (typeof id === 'string') span.setAttribute(REQUEST_ID_ATTRIBUTE, id);
        },
      }),
      // The gateway's proxy (undici's pools): a client span per forwarded request, whose traceparent
      // it writes, so the service's spans are its children. Headers are not recorded here either.
      new UndiciInstrumentation(),
      // Routers and route handlers, not every middleware (helmet, the logger...) of every request.
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      new IORedisInstrumentation({
        // Background commands (reconnects, readiness probes) would each start a trace of their own.
        requireParentSpan: true,
        // The command name only: script arguments carry cart contents and keys hold shopper ids.
        dbStatementSerializer: (command) => command,
      }),
    ],
  });
  running.start();
  return true;
}

/** Sends the spans still buffered; call before the process exits. A no-op when tracing is off. */
export async function flushTracing(): Promise<void> {
  await running?.shutdown();
  running = undefined;
}

// The headers the SDK's default propagators (W3C trace context and baggage) read and write.
const TRACE_HEADERS = ['traceparent', 'tracestate', 'baggage'];

/**
 * Drops a client's own trace headers from a request the proxy forwards while this process traces: the
 * undici instrumentation writes the forwarding span's traceparent, and a client's beside it would make
 * two, which the service cannot read as one parent. While tracing is off they pass on unchanged.
 */
export function dropClientTraceContext(headers: Record<string, unknown>, tracing = running !== undefined): void {
  if (!tracing) return;
  for (const name of TRACE_HEADERS) delete headers[name];
}
