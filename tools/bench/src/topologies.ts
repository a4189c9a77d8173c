// inventory-add on the other topologies the storefront runs on: a Redis Cluster (3 primaries, 1 replica
// each) and Sentinel (1 primary, 2 replicas, 3 sentinels), each with and without REDIS_WAIT_REPLICAS=1.
// Each variant has an inventory of its own, started with the topology's environment; its runs take
// turns with the one-node inventory-add every round, so its ratio to one node compares runs seconds
// apart. Its round trips per add are counted exactly with MONITOR on every primary.
import { Redis } from 'ioredis';
import { startRedisCluster, startRedisSentinelSet, type RedisProcess } from '@storefront/test-kit';
import type { BenchContext } from './context';
import { cpuSecondsOf, type BenchProcess, type NodeService } from './processes';
import { PROBES, meetsTarget, type Probe, type ProbeResult } from './round-trips';
import type { ScenarioRun } from './runs';
import { scenarios, type Scenario } from './scenarios';
import { ratiosOf, summarizeScenarios, type Check, type Ratio, type ScenarioSummary } from './summary';

export const TOPOLOGY_IDS = ['cluster', 'cluster-wait', 'sentinel', 'sentinel-wait'].map((v) => `inventory-add-${v}`);

export interface TopologyVariant {
  title: string;
  /** Commands each add should send: the script, and its WAIT under REDIS_WAIT_REPLICAS. */
  commandsPerAdd: number;
  /** Its id is the variant's, e.g. inventory-add-cluster-wait. */
  scenario: Scenario;
  probe: Probe;
  /** A control connection to every primary: flushes, MONITOR. */
  primaries: Redis[];
  /**
   * The bench's context with this variant's inventory in place of the one-node one, and the CPU of the
   * topology's processes counted. Its control connection is still the one-node Redis's (idle during
   * this variant's runs): the variant's round trips are its MONITOR probe's, not the runs' INFO figures.
   */
  context(ctx: BenchContext): BenchContext;
}

export interface Topologies {
  variants: TopologyVariant[];
  stop(): Promise<void>;
}

type Medians = Pick<ScenarioSummary, 'id' | 'title' | 'requestsPerSecond' | 'p50Ms' | 'p99Ms' | 'errors'>;

/** A row of the table: the medians over the rounds, the ratio and the exact counts. */
export type TopologyFigure = Medians & {
  /** Throughput over one node's, round by round (none for one node itself). */
  ratio?: Ratio;
  probe?: ProbeResult;
  commandsPerAdd: number;
};

/** The one-node scenario every variant is compared with, and whose requests they all send. */
const oneNode = () => scenarios().find((scenario) => scenario.id === 'inventory-add')!;

/** A topology's redis-server processes as one process of the CPU figures. */
const redisProcesses = (name: string, nodes: RedisProcess[]): BenchProcess => ({
  name,
  pid: nodes[0].pid() ?? 0,
  cpuSeconds: () => nodes.reduce((sum, node) => sum + cpuSecondsOf(node.pid() ?? 0), 0),
  stop: async () => undefined,
});

/**
 * Starts the Cluster and the Sentinel set side by side, then an inventory for each variant in `ids`
 * (`startInventory` records it with the bench's other processes, which stops it).
 */
export async function startTopologies(
  ids: string[],
  baseEnv: Record<string, string>,
  startInventory: (name: string, env: Record<string, string>) => Promise<NodeService>,
): Promise<Topologies> {
  const started = await Promise.allSettled([startRedisCluster(), startRedisSentinelSet()]);
  const controls: Redis[] = [];
  const stop = async () => {
    for (const control of controls) control.disconnect();
    await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.stop() : undefined)));
  };
  try {
    const [cluster, sentinel] = started.map((s) => {
      if (s.status === 'rejected') throw s.reason;
      return s.value;
    }) as [Awaited<ReturnType<typeof startRedisCluster>>, Awaited<ReturnType<typeof startRedisSentinelSet>>];
    const connect = (node: RedisProcess) => {
      controls.push(new Redis(node.port, '127.0.0.1', { connectionName: 'bench-control' }));
      return controls[controls.length - 1];
    };
    const roles = await Promise.all(cluster.nodes.map((node) => connect(node).role()));
    const env = Object.fromEntries(Object.entries(baseEnv).filter(([name]) => name !== 'REDIS_URL'));
    type Topology = { title: string; primaries: Redis[]; env: Record<string, string>; redis: BenchProcess };
    const topologies: Record<string, Topology> = {
      cluster: {
        title: 'Redis Cluster, 3 primaries + 3 replicas',
        primaries: controls.filter((_, i) => roles[i][0] === 'master'),
        env: { REDIS_CLUSTER_NODES: cluster.seeds },
        redis: redisProcesses('redis cluster', cluster.nodes),
      },
      sentinel: {
        title: 'Sentinel, 1 primary + 2 replicas',
        primaries: [connect(await sentinel.primary())],
        env: { REDIS_SENTINELS: sentinel.addresses, REDIS_SENTINEL_NAME: sentinel.name },
        redis: redisProcesses('redis sentinel set', sentinel.nodes),
      },
    };
    const addProbe = PROBES.find((probe) => probe.id === 'inventory-add')!;
    const variants = ids.map(async (id): Promise<TopologyVariant> => {
      const [, kind, wait] = /^inventory-add-(\w+?)(-wait)?$/.exec(id)!;
      const { primaries, redis, ...topology } = topologies[kind];
      const title = `${topology.title}${wait ? ', REDIS_WAIT_REPLICAS=1' : ''}`;
      const inventoryEnv = { ...env, ...topology.env, REDIS_WAIT_REPLICAS: wait ? '1' : '0' };
      const inventory = await startInventory(id.replace('-add', ''), inventoryEnv);
      return {
        title,
        commandsPerAdd: wait ? 2 : 1,
        primaries,
        context: (ctx) => ({
          ...ctx,
          services: { ...ctx.services, inventory },
          processes: () => [...ctx.processes(), inventory, redis],
        }),
        scenario: {
          id,
          title: `Add to cart straight to inventory on ${title}`,
          group: 'storefront',
          async prepare(ctx, phase, requests) {
            await Promise.all(primaries.map((primary) => primary.flushall()));
            return oneNode().prepare(ctx, phase, requests);
          },
        },
        probe: { ...addProbe, id, title: `Add to cart on ${title}` },
      };
    });
    return { variants: await Promise.all(variants), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** One node's row (inventory-add and its probe), then each variant's: medians over the rounds. */
export function summarizeTopologies(
  variants: TopologyVariant[],
  runs: ScenarioRun[],
  probes: ProbeResult[],
  connections: number,
): TopologyFigure[] {
  const summaries = summarizeScenarios([oneNode(), ...variants.map((v) => v.scenario)], runs, connections);
  const ratioOf = ({ scenario: { id }, title }: TopologyVariant) => ({
    id: `${id}-vs-one-node`,
    title,
    numerator: id,
    denominator: 'inventory-add',
  });
  const ratios = ratiosOf(runs, variants.map(ratioOf));
  return summaries.map(({ id, requestsPerSecond, p50Ms, p99Ms, errors }, i) => ({
    id,
    title: i === 0 ? 'One node' : variants[i - 1].title,
    requestsPerSecond,
    p50Ms,
    p99Ms,
    errors,
    ratio: i === 0 ? undefined : ratios[i - 1],
    probe: probes.find((probe) => probe.id === id),
    commandsPerAdd: i === 0 ? 1 : variants[i - 1].commandsPerAdd,
  }));
}

export const commandsOf = (probe: ProbeResult) => Object.values(probe.commands).reduce((sum, n) => sum + n, 0);

/** Exactly 1 round trip per add on every variant, and exactly the commands expected (WAIT included). */
export function topologyChecks(figures: TopologyFigure[]): Check[] {
  return figures.slice(1).map((figure) => {
    const p = figure.probe;
    const commands = p ? commandsOf(p) : 0;
    const byName = p
      ? Object.entries(p.commands)
          .map((entry) => entry.join(' '))
          .join(', ')
      : '';
    return {
      id: `round-trips-${figure.id}`,
      title: `Round trips: add to cart on ${figure.title} exactly 1, in ${figure.commandsPerAdd} command(s)`,
      passed: p !== undefined && meetsTarget(p) && commands === figure.commandsPerAdd * p.requests,
      detail: p
        ? `${p.roundTrips} round trips, ${commands} commands (${byName}) ` +
          `over ${p.requests} adds${p.unexpectedAnswers ? `, ${p.unexpectedAnswers} unexpected answers` : ''}`
        : 'not measured',
    };
  });
}
