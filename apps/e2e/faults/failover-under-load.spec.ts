// A primary killed (SIGKILL), or frozen (SIGSTOP) past the failover and then resumed, under cart load
// through the gateway, on a Redis Cluster (3 primaries, 1 replica each, cluster-node-timeout 2 s; 2
// each for WAIT) and on Sentinel (1 primary, 2 replicas, 3 sentinels, down-after 1 s), each without
// and with REDIS_WAIT_REPLICAS=1. The contract ("Redis topologies"): every answer within 1 s, only 2xx
// and 503 CART_UNAVAILABLE, no process exits, the storefront serves again by itself (here: within 7 s
// of the kill: the node timeout, the election, the client learning the new primary). Afterwards each
// shopper's acknowledged adds are compared with the cart Redis kept: what asynchronous replication lost.
//
// On one machine a replica is never behind when its primary dies (the replication stream waits in
// the replica's socket buffer), so before a kill the primary's replication stream is held back for a
// second (stallReplication: an iptables rule per replica connection), as a slow network would: the
// adds acknowledged in that second are on no replica. Without WAIT they are lost, and the test shows
// how many; with WAIT they are refused instead (503), and no acknowledged add may be lost.
import calculateSlot from 'cluster-key-slot';
import { Redis, type Cluster } from 'ioredis';
import {
  TEST_SECRET,
  keysMatching,
  stallReplication,
  startRedisCluster,
  startRedisSentinelSet,
  uniquePrefix,
  type RedisProcess,
  type ReplicationStall,
} from '@storefront/test-kit';
import { compareCartsWithAnswers } from './cart-load';
import { expectContractKept, faultUnderLoad, loadFigures } from './fault-scaffold';
import { report } from '../support/http';
import { startStorefrontProcesses, type StorefrontProcesses } from '../support/storefront-processes';

const LOAD_SECONDS = 16;
const SHOPPERS = 30;
const RATE = 300;
const FAULT_AT_MS = 5_000;
// Past the node timeout (2 s) or down-after (1 s) and the election: the frozen primary has been
// replaced when it wakes up.
const FROZEN_FOR_MS = 5_000;
const SERVED_AGAIN_WITHIN_MS = 7_000;
// How long the replication stream is held back before a kill: the adds of that second reach no replica.
const STALLED_FOR_MS = 1_000;

interface Topology {
  /** The environment that points the services at it. */
  env: Record<string, string>;
  /** A primary that holds carts (of keys under `prefix`). */
  primaryWithCarts(prefix: string): Promise<RedisProcess>;
  /** What the topology's own processes logged of the failover, for a failing test's report. */
  failoverLog?(): string;
  stop(): Promise<void>;
}

async function clusterTopology(replicasPerPrimary: number): Promise<Topology> {
  const cluster = await startRedisCluster({ nodeTimeoutMs: 2_000, replicasPerPrimary });
  return {
    env: { REDIS_CLUSTER_NODES: cluster.seeds },
    async primaryWithCarts(prefix) {
      const { Cluster: ClusterClient } = await import('ioredis');
      const look: Cluster = new ClusterClient(
        cluster.seeds.split(',').map((seed) => ({ host: '127.0.0.1', port: Number(seed.split(':')[1]) })),
      );
      try {
        const [cart] = await keysMatching(look, `${prefix}cart:*`);
        return await cluster.primaryOf(calculateSlot(cart));
      } finally {
        look.disconnect();
      }
    },
    stop: () => cluster.stop(),
  };
}

async function sentinelTopology(): Promise<Topology> {
  const set = await startRedisSentinelSet({ downAfterMs: 1_000 });
  return {
    env: { REDIS_SENTINELS: set.addresses, REDIS_SENTINEL_NAME: set.name },
    primaryWithCarts: () => set.primary(),
    // Each sentinel's steps: the vote, the promotion, and when the other replica followed the new primary.
    failoverLog: () =>
      set.sentinels
        .map((sentinel) =>
          sentinel
            .log()
            .split('\n')
            .filter((line) => /[#*] [+-]/.test(line) && !/\+(sentinel|slave) /.test(line)),
        )
        .map((lines, i) => `sentinel ${i + 1}:\n${lines.slice(-25).join('\n')}`)
        .join('\n'),
    stop: () => set.stop(),
  };
}

async function roleOf(node: RedisProcess): Promise<string> {
  const redis = new Redis({ port: node.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  try {
    return String(((await redis.role()) as unknown[])[0]);
  } finally {
    redis.disconnect();
  }
}

type Fault = 'kill' | 'freeze';

async function failoverUnderLoad(
  label: string,
  startTopology: () => Promise<Topology>,
  waitReplicas: number,
  fault: Fault = 'kill',
  servedAgainWithinMs = SERVED_AGAIN_WITHIN_MS,
): Promise<void> {
  // Long enough to see the storefront serve again after its bound, and keep serving.
  const loadSeconds = Math.max(LOAD_SECONDS, Math.ceil((FAULT_AT_MS + servedAgainWithinMs) / 1000) + 4);
  const topology = await startTopology();
  const prefix = uniquePrefix(`failover-${label.replace(/\W+/g, '-')}`);
  let store: StorefrontProcesses | undefined;
  let stall: ReplicationStall | undefined;
  try {
    const env = { ...topology.env, REDIS_WAIT_REPLICAS: String(waitReplicas), REDIS_WAIT_TIMEOUT_MS: '200' };
    store = await startStorefrontProcesses({ redisEnv: env, secret: TEST_SECRET, prefix });
    const front = store;
    const plan = { shoppers: SHOPPERS, rate: RATE, durationSec: loadSeconds, faultAtMs: FAULT_AT_MS - STALLED_FOR_MS };
    let primary: RedisProcess | undefined;
    const run = await faultUnderLoad(front, plan, async () => {
      primary = await topology.primaryWithCarts(prefix);
      // Held back until the load ends: released earlier, the killed primary's kernel could still
      // deliver what it had buffered to a replica that has not been promoted yet.
      if (fault === 'kill') stall = await stallReplication(primary.port);
      await new Promise((resolve) => setTimeout(resolve, STALLED_FOR_MS));
      const struckAt = Date.now();
      if (fault === 'kill') {
        await primary.kill();
      } else {
        primary.freeze();
        await new Promise((resolve) => setTimeout(resolve, FROZEN_FOR_MS));
        primary.thaw();
      }
      return struckAt;
    });
    const { samples, faultAt: killedAt } = run;
    const old = primary as RedisProcess;
    await stall?.release();
    // A primary that wakes up after its replacement was elected rejoins as a replica (Sentinel turns
    // it into one when it next looks at it: its INFO period is 10 s).
    let roleAfter = 'dead';
    if (fault === 'freeze') {
      const deadline = Date.now() + 15_000;
      do {
        roleAfter = await roleOf(old);
        if (roleAfter === 'slave') break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      } while (Date.now() < deadline);
      roleAfter = `${roleAfter} ${((Date.now() - killedAt - FROZEN_FOR_MS) / 1000).toFixed(1)} s after it resumed`;
    }

    const lastRefusal = samples.filter((s) => s.status >= 300).reduce((max, s) => Math.max(max, s.end), killedAt);
    const { lost, extra, unaccounted, readBackRefusals } = await compareCartsWithAnswers(
      front.gateway.url,
      run.tokens,
      run,
    );
    const acknowledged = samples.filter((s) => s.kind === 'add' && s.status === 201).length;
    const what = fault === 'kill' ? 'killed' : `frozen for ${FROZEN_FOR_MS / 1000} s`;
    report(
      `failover, ${label}: primary on port ${old.port} ${what} at ${FAULT_AT_MS / 1000} s of ${loadSeconds} s, ` +
        `${SHOPPERS} shoppers at ${RATE}/s; ${loadFigures(run, 'the kill')}; ` +
        `last refusal ${((lastRefusal - killedAt) / 1000).toFixed(2)} s after the kill; ` +
        (stall
          ? `replication to ${stall.connections} replicas held back for ${STALLED_FOR_MS / 1000} s before the kill; `
          : '') +
        `adds acknowledged ${acknowledged}, lost ${lost}, applied without a 2xx (refused, or cut off as the load ` +
        `ended) ${extra}, applied twice ${unaccounted}; 503s to the carts' read-back ${readBackRefusals}` +
        (fault === 'freeze' ? `; the old primary is now: ${roleAfter}` : ''),
    );
    if (fault === 'freeze') expect(roleAfter).toMatch(/^slave /);
    expectContractKept(front, run);
    expect(samples.filter((s) => s.ms > 1_000).slice(0, 5)).toEqual([]);
    expect(lastRefusal - killedAt).toBeLessThan(servedAgainWithinMs);
    expect(samples.some((s) => s.start > lastRefusal && s.status === 201)).toBe(true);
    expect(unaccounted).toBe(0);
    // With WAIT nothing acknowledged may be lost; without it, the adds of the stalled second are (so
    // the stall worked, and the figure with WAIT means something).
    if (waitReplicas > 0) expect(lost).toBe(0);
    else if (fault === 'kill') expect(lost).toBeGreaterThan(0);
  } catch (err) {
    // A rare failure must be understood from one CI log: what each process said last (warn and up).
    for (const service of store?.all() ?? []) {
      const lines = service.output().trimEnd().split('\n').slice(-12).join('\n');
      report(`failover, ${label}, failed: the last lines ${service.app} logged:\n${lines}`);
    }
    if (topology.failoverLog)
      report(`failover, ${label}, failed: the failover as the topology logged it:\n${topology.failoverLog()}`);
    throw err;
  } finally {
    await stall?.release();
    await store?.stop();
    await topology.stop();
  }
}

describe('a primary killed under load', () => {
  it('on a Redis Cluster', () => failoverUnderLoad('cluster', () => clusterTopology(1), 0), 90_000);
  // WAIT 1 through a failover needs a second replica per primary: the promoted one must still have a
  // replica to confirm to (with one, every confirmed write of that shard would wait out its timeout).
  it(
    'on a Redis Cluster with 2 replicas per primary, with REDIS_WAIT_REPLICAS=1',
    () => failoverUnderLoad('cluster, 2 replicas, WAIT 1', () => clusterTopology(2), 1),
    90_000,
  );
  it('on Sentinel', () => failoverUnderLoad('sentinel', sentinelTopology, 0), 90_000);
  // A write confirmed by WAIT also needs the surviving replica to follow the new primary. Sentinel
  // usually has it do so within a second; at the latest it makes it when its failover-timeout (10 s
  // here) runs out, and the replica then still has to sync. CI runs refused such writes for 10.7 s and
  // 14.2 s (most runs: 2 to 4.7 s); the test allows the failover-timeout and 10 s more.
  it(
    'on Sentinel, with REDIS_WAIT_REPLICAS=1',
    () => failoverUnderLoad('sentinel, WAIT 1', sentinelTopology, 1, 'kill', 10_000 + 10_000),
    90_000,
  );
});

describe('a primary frozen past its failover, then resumed, under load', () => {
  it('on a Redis Cluster', () => failoverUnderLoad('cluster, frozen', () => clusterTopology(1), 0, 'freeze'), 90_000);
  it('on Sentinel', () => failoverUnderLoad('sentinel, frozen', sentinelTopology, 0, 'freeze'), 90_000);
});
