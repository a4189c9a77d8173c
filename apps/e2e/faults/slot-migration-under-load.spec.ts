// Slots moving between primaries under cart load: `redis-cli --cluster reshard` of the slots that
// hold some of the shoppers' carts, while 30 shoppers add to their carts through the gateway. A
// migration is not an outage: Redis serves throughout (a key mid-move is answered with ASK, a script
// whose keys are split across the two nodes for a moment with TRYAGAIN, both of which the client
// follows). The contract ("Redis topologies"): every answer within 1 s, only 2xx and 503; nothing
// acknowledged lost, nothing applied twice.
import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { TEST_SECRET, keysMatching, startRedisCluster, uniquePrefix, type TestCluster } from '@storefront/test-kit';
import { compareCartsWithAnswers } from './cart-load';
import { expectContractKept, faultUnderLoad, loadFigures } from './fault-scaffold';
import { countBy, formatCounts, report } from '../support/http';
import { startStorefrontProcesses, type StorefrontProcesses } from '../support/storefront-processes';

const LOAD_SECONDS = 20;
const SHOPPERS = 30;
const RATE = 300;
const RESHARD_AT_MS = 4_000;

/** Each primary with the slots of the carts it holds now. */
async function cartSlotsByPrimary(cluster: TestCluster, prefix: string) {
  const look = new Cluster(
    cluster.seeds.split(',').map((seed) => ({ host: '127.0.0.1', port: Number(seed.split(':')[1]) })),
  );
  try {
    const slots = (await keysMatching(look, `${prefix}cart:*`)).map((key) => calculateSlot(key));
    const byPrimary = new Map<number, { node: TestCluster['nodes'][number]; slots: number[] }>();
    for (const slot of slots) {
      const node = await cluster.primaryOf(slot);
      const entry = byPrimary.get(node.port) ?? { node, slots: [] };
      entry.slots.push(slot);
      byPrimary.set(node.port, entry);
    }
    return [...byPrimary.values()];
  } finally {
    look.disconnect();
  }
}

it('moves the slots of some carts to another primary under load: nothing lost, nothing applied twice', async () => {
  const cluster = await startRedisCluster({ nodeTimeoutMs: 2_000 });
  const prefix = uniquePrefix('slot-migration');
  let store: StorefrontProcesses | undefined;
  try {
    store = await startStorefrontProcesses({
      redisEnv: { REDIS_CLUSTER_NODES: cluster.seeds },
      secret: TEST_SECRET,
      prefix,
    });
    const front = store;
    const plan = { shoppers: SHOPPERS, rate: RATE, durationSec: LOAD_SECONDS, faultAtMs: RESHARD_AT_MS };
    let reshardMs = 0;
    let move = { count: 0, to: cluster.nodes[0], fromPort: 0, movedCarts: [] as number[], cartSlots: [] as number[] };
    const run = await faultUnderLoad(front, plan, async () => {
      // The primary with the most carts gives away its lowest slots up to and including the slot of
      // half of its carts (redis-cli moves a node's lowest slots first).
      const [from, ...others] = (await cartSlotsByPrimary(cluster, prefix)).sort(
        (a, b) => b.slots.length - a.slots.length,
      );
      const to = others[0]?.node ?? cluster.nodes.find((node) => node !== from.node && cluster.nodes.indexOf(node) < 3);
      if (!to) throw new Error('no other primary to move slots to');
      const cartSlots = [...new Set(from.slots)].sort((a, b) => a - b);
      const lastMoved = cartSlots[Math.ceil(cartSlots.length / 2) - 1];
      const owned = await cluster.slotsOf(from.node);
      const count = owned.filter((slot) => slot <= lastMoved).length;
      move = {
        count,
        to,
        fromPort: from.node.port,
        movedCarts: cartSlots.filter((slot) => slot <= lastMoved),
        cartSlots,
      };
      const reshardStarted = Date.now();
      await cluster.reshard(from.node, to, count);
      reshardMs = Date.now() - reshardStarted;
      return reshardStarted;
    });
    const { samples, faultAt: reshardStarted } = run;
    const { count, to, movedCarts, cartSlots } = move;
    const nowServedBy = await Promise.all(movedCarts.map((slot) => cluster.primaryOf(slot)));
    const during = samples.filter((s) => s.end >= reshardStarted && s.start <= reshardStarted + reshardMs);
    const { lost, extra, unaccounted, readBackRefusals } = await compareCartsWithAnswers(
      front.gateway.url,
      run.tokens,
      run,
    );
    report(
      `slot migration: ${count} slots (holding ${movedCarts.length} of ${cartSlots.length} carts' slots) moved from ` +
        `port ${move.fromPort} to ${to.port} in ${(reshardMs / 1000).toFixed(1)} s, ${SHOPPERS} shoppers at ` +
        `${RATE}/s; ` +
        `${loadFigures(run, 'the reshard')}; during the move: ` +
        `${formatCounts(countBy(during, (s) => String(s.status)))}; ` +
        `adds acknowledged ${samples.filter((s) => s.kind === 'add' && s.status === 201).length}, lost ${lost}, ` +
        `applied without a 2xx (refused, or cut off as the load ended) ${extra}, applied twice ${unaccounted}`,
    );
    // No failover here: the store never had a reason to refuse the read-back.
    expect(readBackRefusals).toBe(0);
    expect(movedCarts.length).toBeGreaterThan(0);
    expect(nowServedBy.map((node) => node.port)).toEqual(movedCarts.map(() => to.port));
    expectContractKept(front, run);
    expect(samples.filter((s) => s.ms > 1_000).slice(0, 5)).toEqual([]);
    expect({ lost, unaccounted }).toEqual({ lost: 0, unaccounted: 0 });
  } finally {
    await store?.stop();
    await cluster.stop();
  }
}, 120_000);
