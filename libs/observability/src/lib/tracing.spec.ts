// The tracing module inside Jest: what does not need module patching (which Jest's module system
// defeats). The trace across processes is apps/e2e/test/tracing.spec.ts.
import { dropClientTraceContext, startTracing } from './tracing';

describe('dropClientTraceContext', () => {
  it("drops a client's trace headers while this process traces (the proxy's instrumentation writes its own)", () => {
    const headers: Record<string, unknown> = {
      traceparent: '00-from-the-client',
      tracestate: 'vendor=1',
      baggage: 'k=v',
      'x-request-id': 'r1',
    };
    dropClientTraceContext(headers, true);
    expect(headers).toEqual({ 'x-request-id': 'r1' });
  });

  it('passes them on unchanged while tracing is off', () => {
    const headers: Record<string, unknown> = { traceparent: '00-from-the-client', 'x-request-id': 'r1' };
    dropClientTraceContext(headers);
    expect(headers).toEqual({ traceparent: '00-from-the-client', 'x-request-id': 'r1' });
  });
});

describe('startTracing', () => {
  it('starts nothing unless an OTLP endpoint (or the test file) is set', () => {
    expect(startTracing('test', {})).toBe(false);
    expect(startTracing('test', { OTEL_EXPORTER_OTLP_ENDPOINT: '' })).toBe(false);
  });
});
