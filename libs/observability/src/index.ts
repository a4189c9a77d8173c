export * from './lib/metric-families';
export * from './lib/metrics-server';
export * from './lib/service-metrics';
export * from './lib/tracing';
