export { createServiceMetrics, routeLabel, type CheckoutOutcome, type ServiceMetrics } from './lib/service-metrics';
export { TRACES_FILE_ENV, dropClientTraceContext, flushTracing, startTracing, type SpanRecord } from './lib/tracing';
