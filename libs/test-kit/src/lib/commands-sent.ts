// What a piece of code sends to Redis: every command any ioredis connection of this process writes to
// its socket while it runs (the connections of a Cluster and Sentinel client included, pipelines and
// auto-pipelines too), by name and keys. Counted where a command is serialized for the wire, not at a
// client's sendCommand: a client may wrap its own sendCommand (the Redis command metrics do), and such
// a wrapper would hide its commands from a recorder on the prototype.
import { Command } from 'ioredis';

export interface SentCommand {
  name: string;
  keys: string[];
}

export async function commandsSentDuring(work: () => Promise<unknown>): Promise<SentCommand[]> {
  const seen: SentCommand[] = [];
  const original = Command.prototype.toWritable;
  Command.prototype.toWritable = function (this: Command, socket: object) {
    seen.push({ name: this.name, keys: this.getKeys().map(String) });
    return original.call(this, socket);
  };
  try {
    await work();
  } finally {
    Command.prototype.toWritable = original;
  }
  return seen;
}
