// Imported first by main.ts: the tracing SDK must patch http, express and ioredis before anything
// loads them (it does nothing unless OTEL_EXPORTER_OTLP_ENDPOINT is set).
import { startTracing } from '@storefront/observability';

startTracing('checkout');
