// The processes of a bench run: its own redis-server and every Node service, each started from its
// built bundle as a child process (as `npm start` and the images run them), never imported: the bench
// measures the programs that ship. Each process reports the CPU time it used, read from /proc, so a
// figure can say which process the machine's two cores went to.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { findOnPath, freePort, startRedisProcess } from '@storefront/test-kit';

export { findOnPath };

let clockTicksPerSecond: number | undefined;
function ticksPerSecond(): number {
  if (clockTicksPerSecond === undefined) {
    try {
      clockTicksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicksPerSecond = 100; // Linux's USER_HZ nearly everywhere
    }
  }
  return clockTicksPerSecond;
}

/** User plus system CPU seconds a process has used so far (0 once it is gone). */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: count the fields from after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond();
  } catch {
    return 0;
  }
}

/**
 * CPU seconds the whole machine spent busy so far, all cores together (/proc/stat): what is left after
 * the bench's own processes went to other work, which is the noise in a run's figures.
 */
export function machineBusySeconds(): number {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/);
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    return (user + nice + system + irq + softirq + (steal || 0)) / ticksPerSecond();
  } catch {
    return 0;
  }
}

export interface BenchProcess {
  name: string;
  pid: number;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

function tailOf(file: string, lines = 20): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

export interface RedisServer extends BenchProcess {
  url: string;
  port: number;
}

/**
 * A redis-server of the bench's own on a free port of 127.0.0.1, without persistence (nothing to
 * keep, and no fsync in the figures), stopped at the end of the run.
 */
export async function startRedisServer(binary: string): Promise<RedisServer> {
  const redis = await startRedisProcess(binary);
  const pid = redis.pid() as number;
  return {
    name: 'redis',
    pid,
    url: redis.url,
    port: redis.port,
    cpuSeconds: () => cpuSecondsOf(pid),
    stop: () => redis.stop(),
  };
}

export interface NodeService extends BenchProcess {
  url: string;
  port: number;
  logFile: string;
}

export interface NodeServiceOptions {
  name: string;
  /** The built bundle to run. */
  script: string;
  env: Record<string, string>;
  /** Node flags before the script, e.g. --cpu-prof. */
  nodeArgs?: string[];
  /** Where its stdout and stderr go: the JSON logs are written as in production, just not to the terminal. */
  logFile: string;
  port?: number;
}

/** Starts `node <script>` on a free port (unless given one) and waits until its /readyz answers 200. */
export async function startNodeService(options: NodeServiceOptions): Promise<NodeService> {
  const port = options.port ?? (await freePort());
  const log = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), '--enable-source-maps', options.script], {
    // No metrics server unless asked for: two services here would both want the default METRICS_PORT.
    env: { PATH: process.env.PATH ?? '', METRICS_PORT: '0', ...options.env, PORT: String(port) },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${options.name} exited before it was ready:\n${tailOf(options.logFile)}`);
    }
    try {
      const answer = await fetch(`${url}/readyz`);
      await answer.arrayBuffer();
      if (answer.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`${options.name} was not ready within 20 s:\n${tailOf(options.logFile)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const pid = child.pid as number;
  return {
    name: options.name,
    pid,
    url,
    port,
    logFile: options.logFile,
    cpuSeconds: () => cpuSecondsOf(pid),
    stop: () => stopChild(child),
  };
}

/** The bench's own process: it runs autocannon, so its CPU is the load generator's. */
export function loadGeneratorProcess(): BenchProcess {
  return {
    name: 'load generator',
    pid: process.pid,
    cpuSeconds: () => {
      const usage = process.cpuUsage();
      return (usage.user + usage.system) / 1e6;
    },
    stop: async () => undefined,
  };
}
