// Reading a service's settings, then the gateway secret they include.
export {
  commonEnv,
  envVar,
  readConfig,
  servicePorts,
  ConfigError,
  DEVELOPMENT_GATEWAY_SECRET,
  resolveGatewaySecret,
} from './lib/config';
export { errorHandler, methodNotAllowed } from './lib/error-middleware';
export { AppError, MAX_ECHOED_CHARS, errorBody, errors } from './lib/errors';
export {
  HANDOFF_NONCE_TTL_MS,
  IDENTITY_HEADER,
  createIdentityHandoff,
  deriveKey,
  type IdentityHandoff,
} from './lib/identity-handoff';
export { MAX_BODY_BYTES, MAX_JSON_DEPTH, hasBody, jsonBody, refuseUnread } from './lib/json-body';
export {
  HEADERS_TIMEOUT_MS,
  REQUEST_TIMEOUT_MS,
  boundPort,
  closeServer,
  listen,
  listenService,
  runService,
  type RunningService,
  type ServiceListenOptions,
} from './lib/lifecycle';
export { createLogger, type Logger, type RequestObserver } from './lib/logger';
export { startMetricsServer, type MetricsServer } from './lib/metrics-server';
export { createServiceApp } from './lib/service-app';
export { parseBody } from './lib/validation';
