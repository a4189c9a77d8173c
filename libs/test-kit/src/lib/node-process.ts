// A Node program as a child process, the way `npm start` and the images run it: started from its file
// (a built bundle such as dist/apps/gateway/main.js, or any script), never imported, so that a test or
// the bench sees the program that ships: its exit, its logs, its memory, its own CPU.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { freePort } from './redis-server';

export interface NodeProcessOptions {
  /** What the process is called in messages (e.g. the app's name). */
  name: string;
  /** The file node runs: builtApp('gateway'), or any script. */
  script: string;
  /** Arguments after the script. */
  args?: string[];
  /** Node flags before the script, e.g. --cpu-prof or --enable-source-maps. */
  nodeArgs?: string[];
  /** The child's environment: PATH and these, nothing else of this process's unless `inheritEnv`. */
  env?: Record<string, string>;
  inheritEnv?: boolean;
  cwd?: string;
  /**
   * stdout and stderr appended to this file (the JSON logs as production writes them); without one
   * they are kept in memory, the last megabyte.
   */
  logFile?: string;
}

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeProcess {
  name: string;
  pid: number;
  child: ChildProcess;
  /** stdout and stderr so far: the last megabyte, or the last lines of the log file. */
  output(): string;
  /** Set once the process has exited, whoever stopped it. */
  exit(): ProcessExit | undefined;
  /** Resolves when the process has exited. */
  exited: Promise<ProcessExit>;
  /** Resident memory (VmRSS) in MB, from /proc. */
  rssMb(): number;
  /** SIGTERM, then SIGKILL after `graceMs` (default 10 s); resolves with the exit code once it is gone. */
  stop(graceMs?: number): Promise<number | null>;
}

export interface NodeService extends NodeProcess {
  port: number;
  /** http://127.0.0.1:<port> */
  url: string;
}

/** Resident memory of a process in MB, from /proc/<pid>/status. */
export function rssMbOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb) / 1024;
}

// Whatever a caller leaves behind (a failed assertion before its afterAll, a crash of Jest or of the
// bench), no child outlives the process that started it.
const everyChild = new Set<ChildProcess>();
let reaperInstalled = false;
function reapAtExit(child: ChildProcess): void {
  everyChild.add(child);
  if (reaperInstalled) return;
  reaperInstalled = true;
  process.once('exit', () => {
    for (const each of everyChild) if (each.exitCode === null && each.signalCode === null) each.kill('SIGKILL');
  });
}

function lastLinesOf(file: string, lines = 40): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

/** Starts `node [nodeArgs] script [args]`; it runs until stopped. */
export function spawnNodeProcess(options: NodeProcessOptions): NodeProcess {
  // No metrics server unless asked for: several services run at once here, and would all want the
  // default METRICS_PORT.
  const env = {
    ...(options.inheritEnv ? process.env : { PATH: process.env.PATH ?? '' }),
    METRICS_PORT: '0',
    ...options.env,
  };
  const log = options.logFile === undefined ? undefined : openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script, ...(options.args ?? [])], {
    env,
    cwd: options.cwd,
    stdio: log === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', log, log],
  });
  if (log !== undefined) closeSync(log);
  reapAtExit(child);
  let kept = '';
  // Only the tail: a long run at info level must not grow the parent without bound.
  const keep = (chunk: Buffer) => {
    kept = (kept + chunk.toString()).slice(-1_000_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exit: ProcessExit | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      everyChild.delete(child);
      resolve(exit);
    });
  });
  if (child.pid === undefined) throw new Error(`${options.name} did not start`);
  const pid = child.pid;
  return {
    name: options.name,
    pid,
    child,
    output: () => (options.logFile === undefined ? kept : lastLinesOf(options.logFile)),
    exit: () => exit,
    exited,
    rssMb: () => rssMbOf(pid),
    async stop(graceMs = 10_000) {
      if (exit) return exit.code;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const { code } = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * Polls GET `url` until it answers `status` (default 200); rejects after `timeoutMs`, or as soon as
 * `process` (the program meant to answer) has exited, with its output in the message.
 */
export async function waitForAnswer(
  url: string,
  options: { status?: number; timeoutMs?: number; process?: NodeProcess } = {},
): Promise<void> {
  const { status = 200, timeoutMs = 10_000, process: program } = options;
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    const exit = program?.exit();
    if (program && exit) throw new Error(`${program.name} exited (${JSON.stringify(exit)}):\n${program.output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      if (res.status === status) return;
      last = `answered ${res.status}`;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      const output = program ? `:\n${program.output()}` : '';
      throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (${last})${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves once GET <url>/readyz of every one of `urls` is 200 (each service's Redis answers). */
export async function waitReady(urls: string[], timeoutMs = 5_000): Promise<void> {
  await Promise.all(urls.map((url) => waitForAnswer(`${url}/readyz`, { timeoutMs })));
}

/**
 * A service on `port` (a free one unless given; PORT in its environment), once GET `readyPath`
 * answers 200: /readyz by default (its Redis answers), /healthz for "it listens", null to not wait.
 * If it is not ready in time it is stopped, and the error carries its output.
 */
export async function startNodeService(
  options: NodeProcessOptions & { port?: number; readyPath?: string | null; readyTimeoutMs?: number },
): Promise<NodeService> {
  const port = options.port ?? (await freePort());
  const program = spawnNodeProcess({ ...options, env: { ...options.env, PORT: String(port) } });
  const url = `http://127.0.0.1:${port}`;
  const readyPath = options.readyPath === undefined ? '/readyz' : options.readyPath;
  if (readyPath !== null) {
    try {
      await waitForAnswer(`${url}${readyPath}`, { timeoutMs: options.readyTimeoutMs ?? 20_000, process: program });
    } catch (err) {
      await program.stop();
      throw err;
    }
  }
  return { ...program, port, url };
}
