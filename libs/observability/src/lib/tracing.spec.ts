// The tracing module inside Jest: what does not need module patching (which Jest's module system
// defeats). The trace across processes is apps/e2e/test/tracing.spec.ts.
import { ROOT_CONTEXT, TraceFlags, propagation, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { injectTraceContext, startTracing } from './tracing';

const traced = trace.setSpanContext(ROOT_CONTEXT, {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
});

afterEach(() => propagation.disable());

describe('injectTraceContext', () => {
  it('writes the W3C traceparent of the given context over whatever the client sent', () => {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const headers: Record<string, unknown> = { traceparent: '00-from-the-client', 'x-request-id': 'r1' };
    injectTraceContext(headers, traced);
    expect(headers).toEqual({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      'x-request-id': 'r1',
    });
  });

  it('leaves the headers alone while tracing is off', () => {
    const headers: Record<string, unknown> = { 'x-request-id': 'r1' };
    injectTraceContext(headers, traced);
    expect(headers).toEqual({ 'x-request-id': 'r1' });
  });
});

describe('startTracing', () => {
  it('starts nothing unless an OTLP endpoint (or the test file) is set', () => {
    expect(startTracing('test', {})).toBe(false);
    expect(startTracing('test', { OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBe(false);
  });
});
