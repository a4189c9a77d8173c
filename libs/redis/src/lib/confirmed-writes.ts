// Writes that count only once enough replicas have them (REDIS_WAIT_REPLICAS): the write and a Redis
// WAIT go out in one pipeline, so the confirmation costs no extra round trip.
//
// WAIT holds the connection it is sent on: Redis runs nothing else of that connection until WAIT
// returns (at most REDIS_WAIT_TIMEOUT_MS later). With replicas that stop confirming (a stalled
// replication link), every confirmed write would wait out its timeout in turn, and the commands
// behind them (other shoppers' reads, other writes) with it: a backlog that grows with the load and
// outlives the stall by as long as it took to build. So only as many confirmed writes are in flight
// per primary as fit in a command timeout; the others wait here, and one that cannot be sent in time
// is refused (503) without ever reaching Redis.
import calculateSlot from 'cluster-key-slot';
import { Cluster, type ChainableCommander, type Redis } from 'ioredis';
import { RedisUnavailableError } from './errors';
import type { WriteConcern } from './settings';

export interface ConfirmedWrites {
  concern: WriteConcern;
  /**
   * Sends what `queue` adds to a pipeline, then WAIT, to the primary that holds `key`; resolves with
   * the reply of the first command queued once enough replicas confirm. Fewer in time, or no room
   * within the command timeout, is RedisUnavailableError (the write may be applied, as with any 503).
   */
  send(key: string, queue: (pipeline: ChainableCommander) => void): Promise<unknown>;
}

/** What a command may take on `client`: its command timeout (the default when none is set). */
function commandTimeoutOf(client: Redis | Cluster): number {
  const options = client instanceof Cluster ? client.options.redisOptions : client.options;
  return options?.commandTimeout ?? 500;
}

interface Waiting {
  /** True once its caller has been answered (its time ran out while it waited). */
  expired(): boolean;
  start(): void;
}

interface Lane {
  inFlight: number;
  waiting: Waiting[];
}

export function createConfirmedWrites(client: Redis | Cluster, concern: WriteConcern): ConfirmedWrites {
  const budgetMs = commandTimeoutOf(client);
  // A command queued behind the confirmed writes in flight keeps 100 ms of its own timeout. Twice:
  // with auto-pipelining, a command waits for the batch sent before it (ioredis sends one batch at a
  // time), which waited behind the WAITs in flight then, before it waits behind them itself. A
  // Sentinel test saw reads answered after 1.0 s with 2 in flight; with 1, within half a second.
  const maxInFlight = Math.max(1, Math.floor((budgetMs - 100) / (2 * concern.timeoutMs)));
  const lanes = new Map<string, Lane>();
  const laneOf = (key: string): Lane => {
    const primary = client instanceof Cluster ? (client.slots[calculateSlot(key)]?.[0] ?? 'unknown') : 'primary';
    let lane = lanes.get(primary);
    if (!lane) lanes.set(primary, (lane = { inFlight: 0, waiting: [] }));
    return lane;
  };
  const release = (lane: Lane) => {
    lane.inFlight -= 1;
    // A write whose time ran out while it waited never reaches Redis.
    for (let next = lane.waiting.shift(); next; next = lane.waiting.shift()) {
      if (next.expired()) continue;
      next.start();
      return;
    }
  };

  async function pipelined(queue: (pipeline: ChainableCommander) => void, retried = false): Promise<unknown> {
    const pipeline = client.pipeline();
    queue(pipeline);
    pipeline.wait(concern.replicas, concern.timeoutMs);
    const replies = (await pipeline.exec()) as [Error | null, unknown][];
    const [scriptError, reply] = replies[0];
    const [waitError, acknowledged] = replies[replies.length - 1];
    if (scriptError && client instanceof Cluster && !retried && /^MOVED /.test(scriptError.message)) {
      // The script did not run: the slot is served elsewhere, or the client's connection pool lost
      // the node that serves it (seen under load: a slot-map refresh left a primary out of the
      // pool, and every pipeline for its slots went to another node). ioredis follows no redirection
      // for a pipeline that holds a write, nor heals its map from it (ioredis issue 2075): read the
      // map again and send it once more; the caller's timer still bounds the wait.
      await new Promise<void>((resolve) => client.refreshSlotsCache(() => resolve()));
      return pipelined(queue, true);
    }
    if (scriptError) throw scriptError;
    if (waitError) throw waitError;
    if (Number(acknowledged) < concern.replicas) {
      throw new RedisUnavailableError(
        new Error(`${String(acknowledged)} of ${concern.replicas} replicas acknowledged in time`),
      );
    }
    return reply;
  }

  return {
    concern,
    send(key, queue) {
      const lane = laneOf(key);
      return new Promise((resolve, reject) => {
        let answered = false;
        const answer = (settle: () => void) => {
          if (answered) return;
          answered = true;
          clearTimeout(timer);
          settle();
        };
        // The caller's answer comes within the command timeout whatever happens; the lane is freed
        // only when Redis has replied (or the connection is gone), so the backlog stays bounded.
        const timer = setTimeout(
          () =>
            answer(() =>
              reject(new RedisUnavailableError(new Error('replicas did not confirm within the command timeout'))),
            ),
          budgetMs,
        );
        const start = () => {
          lane.inFlight += 1;
          pipelined(queue)
            .then(
              (reply) => answer(() => resolve(reply)),
              (err) => answer(() => reject(err)),
            )
            .finally(() => release(lane));
        };
        if (lane.inFlight < maxInFlight) start();
        else lane.waiting.push({ expired: () => answered, start });
      });
    },
  };
}
