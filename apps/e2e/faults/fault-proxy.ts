// A TCP fault proxy of our own, put between the services and Redis: it listens on 127.0.0.1 (a free
// port) and forwards every connection to the Redis it was given, with faults on demand:
//
//   setLatency(ms)       every chunk waits `ms` before it is passed on, in each direction (so a
//                        command's round trip gains 2 × ms);
//   stopForwarding()     hold every byte, both ways, without closing anything (a network that goes
//                        silent); resumeForwarding() passes on what was held, in order;
//   dropNextReply(match) the next connection whose client sends a chunk for which `match` is true is
//                        cut as soon as Redis answers it: Redis has received and run the command, the
//                        client never gets the reply;
//   close()              stops listening and drops every connection.
//
// Why not Toxiproxy: one more binary or container in CI for three small faults; these fit in a page and
// run in the test process, where the test can also wait for the fault to have happened.
//
// Back-pressure is not handled (a held or delayed chunk stays in memory): the proxy carries test
// traffic only, a few kilobytes at a time.
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';

/** What dropNextReply() cut: the client's chunk that matched, and the reply Redis sent to it. */
export interface DroppedReply {
  request: Buffer;
  reply: Buffer;
}

export interface FaultProxy {
  /** The port the proxy listens on (127.0.0.1). */
  port: number;
  /** redis://127.0.0.1:<port>: give this to the services instead of Redis's own URL. */
  url: string;
  /** Delays every chunk by `ms` in each direction (0 turns it off). */
  setLatency(ms: number): void;
  /** Holds every byte, both ways, without closing a connection. */
  stopForwarding(): void;
  /** Passes on what was held, in order, and forwards again. */
  resumeForwarding(): void;
  /**
   * Arms a cut: on the next connection where the client sends a chunk that `match` accepts, the first
   * bytes Redis sends back after it are dropped and both sides of that connection are closed.
   * Resolves once it has happened, with what was cut.
   */
  dropNextReply(match?: (request: Buffer) => boolean): Promise<DroppedReply>;
  /** Connections accepted since the proxy started (a client that reconnects shows up here). */
  connectionsAccepted(): number;
  /** Connections open now. */
  openConnections(): number;
  /** Stops listening and drops every connection. */
  close(): Promise<void>;
}

const END = Symbol('end');
type Item = { due: number; data: Buffer | typeof END };

/**
 * One direction of one connection: chunks wait in order until their time has come (and while
 * forwarding is stopped), then are written to `to`. An end of stream travels as an item too, so a
 * close never overtakes the data before it.
 */
class Channel {
  private readonly queue: Item[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly to: Socket,
    private readonly state: { latencyMs: number; holding: boolean },
  ) {}

  push(data: Buffer | typeof END): void {
    this.queue.push({ due: Date.now() + this.state.latencyMs, data });
    this.pump();
  }

  pump(): void {
    if (this.timer || this.state.holding) return;
    while (this.queue.length > 0) {
      const head = this.queue[0];
      const wait = head.due - Date.now();
      if (wait > 0) {
        this.timer = setTimeout(() => {
          this.timer = undefined;
          this.pump();
        }, wait);
        return;
      }
      this.queue.shift();
      if (this.to.destroyed) continue;
      if (head.data === END) this.to.end();
      else this.to.write(head.data);
    }
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue.length = 0;
  }
}

interface Link {
  client: Socket;
  upstream: Socket;
  up: Channel;
  down: Channel;
  destroy(): void;
}

export async function startFaultProxy(target: { host?: string; port: number }): Promise<FaultProxy> {
  const host = target.host ?? '127.0.0.1';
  const state = { latencyMs: 0, holding: false };
  const links = new Set<Link>();
  let accepted = 0;
  let armed:
    | { match: (request: Buffer) => boolean; link?: Link; request?: Buffer; resolve: (dropped: DroppedReply) => void }
    | undefined;

  const server: Server = createServer((client) => {
    accepted += 1;
    client.setNoDelay(true);
    const upstream = connect({ host, port: target.port });
    upstream.setNoDelay(true);
    const link: Link = {
      client,
      upstream,
      up: new Channel(upstream, state),
      down: new Channel(client, state),
      destroy() {
        link.up.dispose();
        link.down.dispose();
        client.destroy();
        upstream.destroy();
        links.delete(link);
      },
    };
    links.add(link);

    client.on('data', (chunk: Buffer) => {
      if (armed && !armed.link && armed.match(chunk)) {
        armed.link = link;
        armed.request = chunk;
      }
      link.up.push(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (armed && armed.link === link) {
        // Redis has run the command and this is its answer: the client must never see it.
        const { resolve, request } = armed;
        armed = undefined;
        link.destroy();
        resolve({ request: request ?? Buffer.alloc(0), reply: chunk });
        return;
      }
      link.down.push(chunk);
    });
    // A clean end travels behind the data already queued; an error (Redis killed: ECONNREFUSED or
    // ECONNRESET) drops both sides at once, as a broken network would.
    client.on('end', () => link.up.push(END));
    upstream.on('end', () => link.down.push(END));
    client.on('error', () => link.destroy());
    upstream.on('error', () => link.destroy());
    client.on('close', () => {
      if (upstream.destroyed || upstream.writableEnded) links.delete(link);
    });
    upstream.on('close', () => {
      if (client.destroyed || client.writableEnded) links.delete(link);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  const resumeAll = () => {
    for (const link of links) {
      link.up.pump();
      link.down.pump();
    }
  };

  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    setLatency(ms: number) {
      state.latencyMs = ms;
    },
    stopForwarding() {
      state.holding = true;
    },
    resumeForwarding() {
      state.holding = false;
      resumeAll();
    },
    dropNextReply(match: (request: Buffer) => boolean = () => true) {
      if (armed) return Promise.reject(new Error('dropNextReply is already armed'));
      return new Promise<DroppedReply>((resolve) => {
        armed = { match, resolve };
      });
    },
    connectionsAccepted: () => accepted,
    openConnections: () => links.size,
    async close() {
      armed = undefined;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const link of [...links]) link.destroy();
      await closed;
    },
  };
}
