// Redis round trips per operation, exactly. MONITOR shows every command Redis runs, in order, with the
// connection that sent it, and shows the commands a Lua script runs as "lua" (they cost no round
// trip). For each operation the bench sends a marker, makes N requests (all answered), sends a second
// marker, and counts the commands the services' connections sent in between: round trips per request
// is that count over N, an exact figure on any machine, however loaded.
//
// MONITOR slows Redis down, so it is on only here, never during the timed runs. What it learns (which
// commands run inside scripts) lets the timed runs read the same figure from INFO commandstats.
//
// On a Redis Cluster every primary is watched (the carts are spread over the shards) and the counts
// summed. A WAIT (REDIS_WAIT_REPLICAS) is a command of its own but no round trip of its own: the cart
// library sends it in one pipeline behind the script, which ioredis writes to the socket at once
// (Pipeline.exec; strace of the inventory showed one write per add, holding both). MONITOR cannot see
// socket writes; it shows the pairing, and only a WAIT that comes right after a script call of the
// same connection counts as part of that call's round trip.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { IDENTITY_HEADER } from '@storefront/service-kit';
import type { BenchContext } from './context';
import { runLoad, unexpectedAnswers, type LoadRequest } from './load';
import { SCRIPT_COMMANDS } from './redis-stats';
import {
  CATALOG_IDS,
  HOT_ITEM,
  PAYMENT,
  bearer,
  cartOf,
  directAdd,
  gatewayAdd,
  jsonHeaders,
  newSessions,
  seedCarts,
  seedCheckoutShoppers,
  shopperIds,
} from './scenarios';

export interface RoundTripTarget {
  /** 'exactly' or 'at most'. */
  kind: 'exactly' | 'at most';
  value: number;
}

interface PreparedProbe {
  url: string;
  expectedStatuses: number[];
  nextRequest: () => LoadRequest;
}

export interface Probe {
  id: string;
  title: string;
  target?: RoundTripTarget;
  prepare(ctx: BenchContext, requests: number): Promise<PreparedProbe>;
}

export interface ProbeResult {
  id: string;
  title: string;
  target?: RoundTripTarget;
  requests: number;
  /** Answers with a status other than the expected one (the figure is void if any). */
  unexpectedAnswers: number;
  answers: Record<string, number>;
  roundTrips: number;
  perRequest: number;
  /** Round trips per sender (the connection name each service gives its Redis client). */
  bySender: Record<string, number>;
  /** Commands sent, per name: round trips, plus the WAITs pipelined behind a script call. */
  commands: Record<string, number>;
  /** Commands the scripts ran, per name (no round trip each). */
  insideScripts: Record<string, number>;
}

export interface RoundTripReport {
  probes: ProbeResult[];
  commandsInsideScripts: Set<string>;
  /** One real command per operation and sender, as sent: redis-benchmark replays them. */
  samples: Record<string, string[]>;
}

const probeShoppers = (count: number) => shopperIds('measured', count);

export const PROBES: Probe[] = [
  {
    id: 'inventory-add',
    title: 'Add to cart (POST /Cart/Item), straight to inventory',
    target: { kind: 'exactly', value: 1 },
    async prepare(ctx) {
      const shoppers = probeShoppers(20);
      let sent = 0;
      return {
        url: ctx.services.inventory.url,
        expectedStatuses: [201],
        nextRequest: () => {
          const i = sent++;
          return directAdd(ctx, shoppers[i % shoppers.length], CATALOG_IDS[i % CATALOG_IDS.length]);
        },
      };
    },
  },
  {
    id: 'inventory-set',
    title: 'Change a quantity (PUT /Cart/Item/:id), straight to inventory',
    target: { kind: 'exactly', value: 1 },
    async prepare(ctx) {
      const shoppers = probeShoppers(20);
      await seedCarts(ctx, shoppers, cartOf(3));
      let sent = 0;
      const path = `/Cart/Item/${HOT_ITEM}`;
      return {
        url: ctx.services.inventory.url,
        expectedStatuses: [200],
        nextRequest: () => {
          const i = sent++;
          return {
            method: 'PUT',
            path,
            headers: jsonHeaders({
              [IDENTITY_HEADER]: ctx.handoff.sign(shoppers[i % shoppers.length], { method: 'PUT', url: path }),
            }),
            body: JSON.stringify({ quantity: (i % 5) + 1 }),
          };
        },
      };
    },
  },
  {
    id: 'inventory-remove',
    title: 'Remove a line (DELETE /Cart/Item/:id), straight to inventory',
    target: { kind: 'exactly', value: 1 },
    async prepare(ctx) {
      const shoppers = probeShoppers(20);
      await seedCarts(ctx, shoppers, cartOf(3));
      let sent = 0;
      const path = `/Cart/Item/${HOT_ITEM}`;
      return {
        url: ctx.services.inventory.url,
        expectedStatuses: [200],
        nextRequest: () => ({
          method: 'DELETE',
          path,
          headers: {
            [IDENTITY_HEADER]: ctx.handoff.sign(shoppers[sent++ % shoppers.length], { method: 'DELETE', url: path }),
          },
        }),
      };
    },
  },
  {
    id: 'inventory-read',
    title: 'Read the cart (GET /Cart, 10 lines), straight to inventory',
    target: { kind: 'exactly', value: 1 },
    async prepare(ctx) {
      const shoppers = probeShoppers(20);
      await seedCarts(ctx, shoppers, cartOf(10));
      let sent = 0;
      return {
        url: ctx.services.inventory.url,
        expectedStatuses: [200],
        nextRequest: () => ({
          method: 'GET',
          path: '/Cart',
          headers: {
            [IDENTITY_HEADER]: ctx.handoff.sign(shoppers[sent++ % shoppers.length], { method: 'GET', url: '/Cart' }),
          },
        }),
      };
    },
  },
  {
    id: 'gateway-add',
    title: 'Add to cart through the gateway (session check + add)',
    async prepare(ctx) {
      const tokens = await newSessions(ctx.services.gateway.url, 20);
      let sent = 0;
      return {
        url: ctx.services.gateway.url,
        expectedStatuses: [201],
        nextRequest: () => {
          const i = sent++;
          return gatewayAdd(tokens[i % tokens.length], CATALOG_IDS[i % CATALOG_IDS.length]);
        },
      };
    },
  },
  {
    id: 'gateway-checkout',
    title: 'Checkout through the gateway, 3-line cart (session check + claim + settle)',
    target: { kind: 'at most', value: 3 },
    async prepare(ctx, requests) {
      const tokens = await seedCheckoutShoppers(ctx, requests);
      let sent = 0;
      return {
        url: ctx.services.gateway.url,
        expectedStatuses: [200],
        nextRequest: () => {
          const i = sent++;
          return {
            method: 'PATCH',
            path: '/Cart/checkout',
            headers: jsonHeaders({ ...bearer(tokens[i]), 'idempotency-key': `probe-${i}` }),
            body: PAYMENT,
          };
        },
      };
    },
  },
  {
    id: 'article-add',
    title: "Article's approach: add (GET + SET)",
    async prepare(ctx) {
      const shoppers = probeShoppers(20);
      let sent = 0;
      return {
        url: ctx.services.article.url,
        expectedStatuses: [201],
        nextRequest: () => {
          const i = sent++;
          return directAdd(ctx, shoppers[i % shoppers.length], CATALOG_IDS[i % CATALOG_IDS.length]);
        },
      };
    },
  },
];

interface MonitorEvent {
  args: string[];
  source: string;
}

/** The address the bench's control connection has in Redis (as MONITOR names senders). */
async function controlAddress(control: Redis): Promise<string> {
  const info = String(await control.client('INFO'));
  return /\baddr=(\S+)/.exec(info)?.[1] ?? '';
}

/** Connection names by address, from CLIENT LIST (each service names its Redis client). */
async function sendersByAddress(control: Redis): Promise<Map<string, string>> {
  const list = String(await control.client('LIST'));
  const senders = new Map<string, string>();
  for (const line of list.split('\n')) {
    const addr = /\baddr=(\S+)/.exec(line)?.[1];
    const name = /\bname=(\S*)/.exec(line)?.[1];
    if (addr) senders.set(addr, name || addr);
  }
  return senders;
}

export interface ProbeOptions {
  probes?: Probe[];
  /** A control connection to each node to watch: every primary (one node by default: the bench's own). */
  nodes?: Redis[];
  /** Count only the connections of these names (leaves out, e.g., the sentinels' PINGs and INFOs). */
  senders?: string[];
}

/** MONITOR on the node of `control`: a window of commands between two markers sent on `control`. */
async function watch(control: Redis) {
  const monitor = await control.monitor();
  // The commands seen between a start marker and its end marker; the handler opens and closes the
  // window itself, so no command that follows a marker in the same chunk of MONITOR output is missed.
  let window: MonitorEvent[] | undefined;
  let waitingFor: { marker: string; opens: boolean; resolve: (events: MonitorEvent[]) => void } | undefined;
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (waitingFor && args[0]?.toLowerCase() === 'echo' && args[1] === waitingFor.marker) {
      const { resolve, opens } = waitingFor;
      waitingFor = undefined;
      const events = window ?? [];
      window = opens ? [] : undefined;
      resolve(events);
      return;
    }
    window?.push({ args, source });
  });
  // Redis relays commands to MONITOR in the order it runs them: once the end marker shows up,
  // everything that ran before it has shown up too. Resolves with the commands of the window it closes.
  const mark = async (opens: boolean): Promise<MonitorEvent[]> => {
    const marker = `bench-marker-${randomUUID()}`;
    const seen = new Promise<MonitorEvent[]>((resolve) => (waitingFor = { marker, opens, resolve }));
    await control.echo(marker);
    return seen;
  };
  return { mark, disconnect: () => monitor.disconnect() };
}

export async function measureRoundTrips(ctx: BenchContext, options: ProbeOptions = {}): Promise<RoundTripReport> {
  const nodes = options.nodes ?? [ctx.control];
  const watchers = await Promise.all(nodes.map(watch));

  /** N requests between two markers: the answers, and every command Redis ran in between. */
  const countRoundTrips = async (prepared: PreparedProbe, requests: number) => {
    await Promise.all(watchers.map((watcher) => watcher.mark(true)));
    const load = await runLoad({ url: prepared.url, connections: 10, requests, nextRequest: prepared.nextRequest });
    // Each connection talks to one node: its commands stay in order when the nodes' windows are joined.
    const events = (await Promise.all(watchers.map((watcher) => watcher.mark(false)))).flat();
    return {
      load,
      events,
      unexpected: unexpectedAnswers(load, prepared.expectedStatuses) + (requests - load.requests),
    };
  };

  const probes: ProbeResult[] = [];
  const commandsInsideScripts = new Set<string>();
  const samples: Record<string, string[]> = {};
  try {
    const flush = () => Promise.all(nodes.map((node) => node.flushall()));
    for (const probe of options.probes ?? PROBES) {
      await flush();
      const requests = ctx.settings.probeRequests;
      const prepared = await probe.prepare(ctx, requests);
      const senders = new Map((await Promise.all(nodes.map(sendersByAddress))).flatMap((map) => [...map]));
      const controlSources = new Set(await Promise.all(nodes.map(controlAddress)));
      let attempt = await countRoundTrips(prepared, requests);
      // A request refused by chance (a Redis command timing out on a starved machine answers 503)
      // voids the count; one more try on a fresh data set, then it counts as it is.
      if (attempt.unexpected > 0) {
        await flush();
        attempt = await countRoundTrips(await probe.prepare(ctx, requests), requests);
      }
      const { load, events, unexpected } = attempt;

      const commands: Record<string, number> = {};
      const insideScripts: Record<string, number> = {};
      const bySender: Record<string, number> = {};
      let roundTrips = 0;
      const lastCommandOf = new Map<string, string>();
      for (const event of events) {
        const name = event.args[0].toLowerCase();
        if (event.source === 'lua') {
          insideScripts[name] = (insideScripts[name] ?? 0) + 1;
          commandsInsideScripts.add(name);
          continue;
        }
        if (controlSources.has(event.source)) continue;
        const sender = senders.get(event.source) ?? event.source;
        if (options.senders && !options.senders.includes(sender)) continue;
        const pipelinedWait = name === 'wait' && SCRIPT_COMMANDS.has(lastCommandOf.get(event.source) ?? '');
        lastCommandOf.set(event.source, name);
        commands[name] = (commands[name] ?? 0) + 1;
        if (pipelinedWait) continue;
        roundTrips += 1;
        bySender[sender] = (bySender[sender] ?? 0) + 1;
        samples[`${probe.id}/${sender}/${name}`] ??= event.args;
      }
      probes.push({
        id: probe.id,
        title: probe.title,
        target: probe.target,
        requests: load.requests,
        unexpectedAnswers: unexpected,
        answers: load.statuses,
        roundTrips,
        perRequest: load.requests > 0 ? roundTrips / load.requests : 0,
        bySender,
        commands,
        insideScripts,
      });
    }
  } finally {
    for (const watcher of watchers) watcher.disconnect();
  }
  return { probes, commandsInsideScripts, samples };
}

/** Whether a probe meets its round-trip target (with every answer as expected). */
export function meetsTarget(probe: ProbeResult): boolean {
  if (!probe.target || probe.unexpectedAnswers > 0 || probe.requests === 0) return false;
  // Exact integers: the count over N requests against N times the target.
  return probe.target.kind === 'exactly'
    ? probe.roundTrips === probe.target.value * probe.requests
    : probe.roundTrips <= probe.target.value * probe.requests;
}
