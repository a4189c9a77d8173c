export * from './lib/openapi-document';
export * from './lib/schemas';
