// What a piece of code sends to Redis: every command any ioredis connection of this process sends
// while it runs (the connections of a Cluster and Sentinel client included), by name and keys.
import { Redis, type Command } from 'ioredis';

export interface SentCommand {
  name: string;
  keys: string[];
}

export async function commandsSentDuring(work: () => Promise<unknown>): Promise<SentCommand[]> {
  const seen: SentCommand[] = [];
  const original = Redis.prototype.sendCommand;
  Redis.prototype.sendCommand = function (this: Redis, command: Command, ...rest: unknown[]) {
    seen.push({ name: command.name, keys: command.getKeys().map(String) });
    return original.call(this, command, ...(rest as []));
  };
  try {
    await work();
  } finally {
    Redis.prototype.sendCommand = original;
  }
  return seen;
}
