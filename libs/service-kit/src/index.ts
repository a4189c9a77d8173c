export * from './lib/config';
export * from './lib/error-middleware';
export * from './lib/errors';
export * from './lib/identity-handoff';
export * from './lib/json-body';
export * from './lib/lifecycle';
export * from './lib/logger';
export * from './lib/service-app';
