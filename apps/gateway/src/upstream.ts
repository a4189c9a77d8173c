// Where a service is: its URL's host name resolved to every address it has (Docker's DNS gives one per
// replica), taken in turn. A keep-alive agent alone would keep reusing the first replica's sockets.
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

export interface Upstream {
  /** The URL's host (and port), sent as the Host header. */
  host: string;
  /** The address and port for the next request. */
  next(): Promise<{ hostname: string; port: number }>;
  /** Called after a connection error: look the name up again before the next request. */
  refresh(): void;
}

export function createUpstream(target: string, refreshMs = 5_000): Upstream {
  const url = new URL(target);
  const port = Number(url.port || 80);
  const fixed = isIP(url.hostname) !== 0;
  let addresses: string[] = [];
  let resolvedAt = 0;
  let turn = 0;
  let resolving: Promise<void> | undefined;

  const resolve = async () => {
    const found = await lookup(url.hostname, { all: true });
    // Services listen on IPv4; "localhost" may also resolve to ::1.
    const v4 = found.filter((entry) => entry.family === 4);
    addresses = (v4.length > 0 ? v4 : found).map((entry) => entry.address);
    resolvedAt = Date.now();
  };

  return {
    host: url.host,
    async next() {
      if (fixed) return { hostname: url.hostname, port };
      if (Date.now() - resolvedAt > refreshMs) {
        resolving ??= resolve().finally(() => (resolving = undefined));
        // Wait only when there is nothing to go on; otherwise refresh in the background.
        if (addresses.length === 0) await resolving;
        else resolving.catch(() => undefined);
      }
      return { hostname: addresses[turn++ % addresses.length], port };
    },
    refresh() {
      resolvedAt = 0;
    },
  };
}
