// What Redis did during a run, from INFO before and after: commands per request and bytes to and from
// Redis per request.
//
// INFO commandstats counts the commands a Lua script runs as well as the ones clients send, and it
// cannot tell them apart. A round trip is what a client sends: so when scripts ran in the window, the
// round trips are the script calls (EVALSHA, EVAL) plus the commands that never run inside our scripts
// (the set is learned from MONITOR, where script commands show as "lua"); when no script ran (the
// article's GET and SET), every command is a round trip. round-trips.ts checks the same figure exactly
// with MONITOR, which names the sender of every command.
import type { Redis } from 'ioredis';

export interface RedisSnapshot {
  calls: Map<string, number>;
  netInputBytes: number;
  netOutputBytes: number;
  /** Bytes of this INFO's own request and reply, to take out of the difference. */
  ownRequestBytes: number;
  ownReplyBytes: number;
}

const INFO_ARGS = ['stats', 'commandstats'] as const;
// How ioredis writes `INFO stats commandstats` on the wire (RESP array of bulk strings).
const INFO_REQUEST_BYTES = Buffer.byteLength(
  `*${INFO_ARGS.length + 1}\r\n$4\r\ninfo\r\n${INFO_ARGS.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join('')}`,
);

export const SCRIPT_COMMANDS = new Set(['evalsha', 'eval', 'evalsha_ro', 'eval_ro', 'fcall', 'fcall_ro']);

export async function takeSnapshot(redis: Redis): Promise<RedisSnapshot> {
  const text = await redis.info(...INFO_ARGS);
  const calls = new Map<string, number>();
  for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1], Number(match[2]));
  const field = (name: string) => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const replyLength = Buffer.byteLength(text);
  return {
    calls,
    netInputBytes: field('total_net_input_bytes'),
    netOutputBytes: field('total_net_output_bytes'),
    ownRequestBytes: INFO_REQUEST_BYTES,
    ownReplyBytes: Buffer.byteLength(`$${replyLength}\r\n`) + replyLength + 2,
  };
}

export interface RedisDelta {
  /** Commands per name, without the bench's own INFO. */
  calls: Record<string, number>;
  /** Commands clients sent (see the header comment). */
  roundTrips: number;
  bytesToRedis: number;
  bytesFromRedis: number;
}

/**
 * The difference between two snapshots taken on one connection with nothing else sent on it in
 * between: the first INFO's reply and the second INFO's request fall inside the window, and are
 * taken out, as is the first INFO itself (counted once it has run).
 */
export function difference(
  before: RedisSnapshot,
  after: RedisSnapshot,
  commandsInsideScripts: ReadonlySet<string>,
): RedisDelta {
  const calls: Record<string, number> = {};
  for (const [name, count] of after.calls) {
    const delta = count - (before.calls.get(name) ?? 0) - (name === 'info' ? 1 : 0);
    if (delta > 0) calls[name] = delta;
  }
  const scriptCalls = Object.entries(calls)
    .filter(([name]) => SCRIPT_COMMANDS.has(name))
    .reduce((sum, [, count]) => sum + count, 0);
  const roundTrips = Object.entries(calls)
    .filter(([name]) => scriptCalls === 0 || SCRIPT_COMMANDS.has(name) || !commandsInsideScripts.has(name))
    .reduce((sum, [, count]) => sum + count, 0);
  return {
    calls,
    roundTrips,
    bytesToRedis: after.netInputBytes - before.netInputBytes - after.ownRequestBytes,
    bytesFromRedis: after.netOutputBytes - before.netOutputBytes - before.ownReplyBytes,
  };
}
