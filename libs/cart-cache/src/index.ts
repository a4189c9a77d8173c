export * from './lib/cart-cache';
export * from './lib/cart-config';
export * from './lib/counted-operations';
export * from './lib/errors';
export * from './lib/middleware';
export * from './lib/stored-answer';
