// inventory-add on the other topologies the storefront runs on: a Redis Cluster (3 primaries, 1 replica
// each) and Sentinel (1 primary, 2 replicas, 3 sentinels), each with and without REDIS_WAIT_REPLICAS=1.
// Each variant has an inventory of its own, started with the topology's environment; its runs take
// turns with the one-node inventory-add every round, so its ratio to one node compares runs seconds
// apart. (That each add stays one round trip there, the WAIT in the script's own, is a test:
// libs/cart-cache/test/topology.spec.ts under npm run test:topologies.)
import { Redis } from 'ioredis';
import { startRedisCluster, startRedisSentinelSet, type NodeService, type RedisProcess } from '@storefront/test-kit';
import type { BenchContext } from './context';
import type { RatioDefinition } from './summary';
import type { Scenario } from './scenarios';

export const TOPOLOGY_IDS = ['cluster', 'cluster-wait', 'sentinel', 'sentinel-wait'].map((v) => `inventory-add-${v}`);

export interface TopologyVariant {
  /** Its id is the variant's, e.g. inventory-add-cluster-wait. */
  scenario: Scenario;
  ratio: RatioDefinition;
  /** The bench's context with this variant's inventory in place of the one-node one, and the topology's processes. */
  context(ctx: BenchContext): BenchContext;
}

/**
 * Starts the Cluster and the Sentinel set side by side, then an inventory for each variant in `ids`
 * (`startInventory` records it with the bench's other processes, which stops it).
 */
export async function startTopologies(
  ids: string[],
  oneNode: Scenario,
  baseEnv: Record<string, string>,
  startInventory: (name: string, env: Record<string, string>) => Promise<NodeService>,
): Promise<{ variants: TopologyVariant[]; stop(): Promise<void> }> {
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
    const topologies = {
      cluster: {
        title: 'Redis Cluster, 3 primaries + 3 replicas',
        primaries: controls.filter((_, i) => roles[i][0] === 'master'),
        env: { REDIS_CLUSTER_NODES: cluster.seeds },
      },
      sentinel: {
        title: 'Sentinel, 1 primary + 2 replicas',
        primaries: [connect(await sentinel.primary())],
        env: { REDIS_SENTINELS: sentinel.addresses, REDIS_SENTINEL_NAME: sentinel.name },
      },
    };
    const variants = ids.map(async (id): Promise<TopologyVariant> => {
      const [, kind, wait] = /^inventory-add-(\w+?)(-wait)?$/.exec(id)!;
      const topology = topologies[kind as keyof typeof topologies];
      const title = `${topology.title}${wait ? ', REDIS_WAIT_REPLICAS=1' : ''}`;
      const inventory = await startInventory(id.replace('-add', ''), {
        ...env,
        ...topology.env,
        REDIS_WAIT_REPLICAS: wait ? '1' : '0',
      });
      return {
        ratio: { id: `${id}-vs-one-node`, title: `${title} / one node`, numerator: id, denominator: 'inventory-add' },
        context: (ctx) => ({
          ...ctx,
          services: { ...ctx.services, inventory },
          processes: () => [...ctx.processes(), { name: inventory.name, pid: inventory.pid }],
        }),
        scenario: {
          ...oneNode,
          id,
          title: `Add to cart straight to inventory on ${title}`,
          async prepare(ctx, phase, requests) {
            await Promise.all(topology.primaries.map((primary) => primary.flushall()));
            return oneNode.prepare(ctx, phase, requests);
          },
        },
      };
    });
    return { variants: await Promise.all(variants), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
