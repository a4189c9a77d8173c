// What every service adds to Express's Request: a module augmentation of the Request interface that
// express re-exports (express-serve-static-core), as @types/express recommends.
declare module 'express-serve-static-core' {
  interface Request {
    /** The request id: created by the gateway (or taken from a valid X-Request-Id) and passed on to services. */
    id: string;
  }
}

export {};
