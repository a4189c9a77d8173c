// What every service adds to Express's Request.
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request id: created by the gateway (or taken from a valid X-Request-Id) and passed on to services. */
      id: string;
    }
  }
}

export {};
