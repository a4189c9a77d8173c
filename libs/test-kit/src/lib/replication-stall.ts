// Holds back a primary's replication stream for a while, so its replicas fall behind: what a slow
// network does to asynchronous replication, made to happen on one machine. Without it, a replica on
// the same machine is never behind when its primary dies (the stream waits in the replica's socket
// buffer, even a frozen replica's), and a failover test would always find nothing lost.
//
// An iptables rule per replica drops the packets the primary sends on that one replication
// connection (found in the primary's CLIENT LIST); the primary keeps them in its socket buffer and
// retransmits, so nothing is lost unless the primary dies first. Needs root and iptables.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);

export interface ReplicationStall {
  /** How many replication connections are held back. */
  connections: number;
  /** Lets the stream flow again (removes the rules); safe to call twice. */
  release(): Promise<void>;
}

// Every rule carries this comment, so rules a killed test run left behind can be found and removed.
const COMMENT = 'storefront-replication-stall';

function ruleFor(primaryPort: number, replicaPort: number): string[] {
  return [
    'OUTPUT',
    '-o',
    'lo',
    '-p',
    'tcp',
    '-m',
    'tcp',
    '--sport',
    String(primaryPort),
    '--dport',
    String(replicaPort),
    '-m',
    'comment',
    '--comment',
    COMMENT,
    '-j',
    'DROP',
  ];
}

/** Removes the rules of stalls that were never released (their test process was killed). */
async function removeLeftoverRules(): Promise<void> {
  const { stdout } = await run('iptables', ['-w', '-S', 'OUTPUT']);
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('-A OUTPUT ') || !line.includes(`--comment ${COMMENT} `)) continue;
    await run('iptables', ['-w', '-D', ...line.split(' ').slice(1)]);
  }
}

/** Stalls the replication from the primary on `primaryPort` (127.0.0.1) to every replica connected to it. */
export async function stallReplication(primaryPort: number): Promise<ReplicationStall> {
  if (process.getuid?.() !== 0) throw new Error('stallReplication needs root (it adds iptables rules)');
  await removeLeftoverRules();
  const primary = new Redis({ port: primaryPort, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  let list: string;
  try {
    list = (await primary.call('CLIENT', 'LIST', 'TYPE', 'replica')) as string;
  } finally {
    primary.disconnect();
  }
  // Each line names the replica's end of the connection: addr=127.0.0.1:<its ephemeral port>.
  const replicaPorts = [...list.matchAll(/\baddr=127\.0\.0\.1:(\d+)/g)].map((match) => Number(match[1]));
  if (replicaPorts.length === 0) throw new Error(`no replica is connected to the primary on port ${primaryPort}`);
  const added: string[][] = [];
  const release = async () => {
    while (added.length > 0) {
      const rule = added.pop() as string[];
      await run('iptables', ['-w', '-D', ...rule]);
    }
  };
  try {
    for (const replicaPort of replicaPorts) {
      const rule = ruleFor(primaryPort, replicaPort);
      await run('iptables', ['-w', '-I', ...rule]);
      added.push(rule);
    }
  } catch (err) {
    await release();
    throw err;
  }
  return { connections: replicaPorts.length, release };
}
