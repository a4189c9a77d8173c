// Where a service's CPU goes under load: the service is restarted with `node --cpu-prof`, a scenario
// runs against it, and the profile it writes on exit is summed up by where the code comes from (the
// storefront's own sources through the bundle's source map, each npm package, Node's core modules,
// V8's garbage collector and builtins). Two views: self time (the code that was running) and on-stack
// time charged to the nearest package or storefront frame (what code caused the work).
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { join } from 'node:path';
import type { BenchContext } from './context';
import { runScenario, type ScenarioRun } from './runs';
import type { Scenario } from './scenarios';

export interface ProfileShare {
  name: string;
  percent: number;
}

export interface ProfileSummary {
  service: string;
  scenario: string;
  /** Where the .cpuprofile was kept (open it in Chrome DevTools). */
  file: string;
  sampledSeconds: number;
  /** Share of samples in which the process was not idle. */
  busyPercent: number;
  /** Of the busy samples. */
  /** Whether only the measured run's samples were counted (else the whole life of the process). */
  windowed: boolean;
  selfByOrigin: ProfileShare[];
  chargedToCode: ProfileShare[];
  /** The charged view grouped by what the service does with that code (logging, body parsing, ...). */
  byConcern: ProfileShare[];
  topFunctions: ProfileShare[];
  run: Pick<ScenarioRun, 'load' | 'cpu'>;
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export async function profileUnderLoad(
  ctx: BenchContext,
  service: 'inventory' | 'gateway',
  scenario: Scenario,
  commandsInsideScripts: ReadonlySet<string>,
  keepDir: string,
): Promise<ProfileSummary> {
  const dir = join(ctx.workDir, 'profiles', service);
  mkdirSync(dir, { recursive: true });
  await ctx.restart(service, ['--cpu-prof', `--cpu-prof-dir=${dir}`]);
  let run: ScenarioRun;
  try {
    run = await runScenario(ctx, scenario, 0, commandsInsideScripts);
  } finally {
    // Stopping the profiled process (SIGTERM, a clean exit) is what writes the profile.
    await ctx.restart(service, []);
  }
  const written = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
  if (!written) throw new Error(`${service} wrote no CPU profile in ${dir}`);
  mkdirSync(keepDir, { recursive: true });
  const kept = join(keepDir, `${service}-${scenario.id}.cpuprofile`);
  copyFileSync(join(dir, written), kept);
  const bundle = join(ctx.settings.appsDir, service, 'main.js');
  const profile = JSON.parse(readFileSync(kept, 'utf8')) as CpuProfile;
  return {
    service,
    scenario: scenario.id,
    file: kept,
    ...summarize(profile, bundle, run.window),
    run: { load: run.load, cpu: run.cpu },
  };
}

/** Maps a frame to where its code comes from. */
function originResolver(bundle: string) {
  const mapFile = `${bundle}.map`;
  const map = existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : undefined;
  const cache = new Map<string, Origin>();
  return (frame: CallFrame): Origin => {
    const key = `${frame.url}:${frame.lineNumber}:${frame.columnNumber}:${frame.functionName}`;
    const known = cache.get(key);
    if (known) return known;
    let resolved: Origin;
    const name = frame.functionName;
    if (name === '(garbage collector)') resolved = { origin: 'V8: garbage collector', location: '', kind: 'runtime' };
    else if (name === '(program)') resolved = { origin: 'V8: native (program)', location: '', kind: 'runtime' };
    else if (name === '(idle)' || name === '(root)') resolved = { origin: name, location: '', kind: 'runtime' };
    // Builtins and native bindings (JSON.stringify, socket and file writes) have no script.
    else if (frame.url === '') resolved = { origin: 'native code', location: '', kind: 'runtime' };
    else if (frame.url.startsWith('node:')) {
      const module = frame.url.replace(/^node:(internal\/)?/, '').replace(/\.js$/, '');
      const family = /http|_http/.test(module) ? 'http' : /stream/.test(module) ? 'streams' : module.split('/')[0];
      resolved = { origin: `Node core: ${family}`, location: `${module}:${frame.lineNumber + 1}`, kind: 'runtime' };
    } else if (frame.url.includes('/node_modules/')) {
      const after = frame.url.slice(frame.url.lastIndexOf('/node_modules/') + '/node_modules/'.length);
      const parts = after.split('/');
      const pkg = parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
      resolved = { origin: `npm: ${pkg}`, location: `${after}:${frame.lineNumber + 1}`, kind: 'code' };
    } else if (map && frame.url.endsWith(bundle)) {
      const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as {
        originalSource?: string;
        originalLine?: number;
      };
      const source = entry.originalSource ? entry.originalSource.replace(/^.*?((apps|libs)\/)/, '$1') : 'bundle';
      const lib = /^(apps|libs)\/([^/]+)\/src\/(?:lib\/)?(.+?)\.ts$/.exec(source);
      resolved = {
        origin: lib ? `storefront: ${lib[2]}/${lib[3]}` : `storefront: ${source}`,
        location: `${source}:${(entry.originalLine ?? 0) + 1}`,
        kind: 'code',
      };
    } else resolved = { origin: 'other', location: frame.url, kind: 'code' };
    cache.set(key, resolved);
    return resolved;
  };
}

interface Origin {
  origin: string;
  location: string;
  /** 'code': an npm package or the storefront's own source; 'runtime': Node core, V8, native code. */
  kind: 'code' | 'runtime';
}

// What each origin is there for, on a service's request path.
const CONCERNS: [string, RegExp][] = [
  [
    'logging (pino, a JSON line per request)',
    /^(npm: (pino|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|atomic-sleep|on-exit-leak-free|safe-stable-stringify)|storefront: service-kit\/logger)$/,
  ],
  ['security headers (helmet)', /^npm: helmet$/],
  [
    'body parsing (body-parser, raw-body)',
    /^(npm: (raw-body|body-parser|iconv-lite|content-type|type-is|media-typer|bytes|unpipe)|storefront: service-kit\/json-body)$/,
  ],
  ['identity hand-off (HMAC check or signing)', /^storefront: (service-kit\/identity-handoff|cart-cache\/middleware)$/],
  ['validation (zod)', /^(npm: zod|storefront: service-kit\/validation)$/],
  [
    'Redis client and cart library (ioredis)',
    /^(npm: (ioredis|redis-parser|denque|cluster-key-slot|standard-as-callback|@ioredis\/.*)|storefront: cart-cache\/.*)$/,
  ],
  ['session check (gateway)', /^storefront: gateway\/(sessions|authenticate)$/],
  ['proxying (gateway)', /^storefront: gateway\/(proxy|upstream)$/],
  [
    'Express and its router (incl. res.json and its socket write)',
    /^npm: (express|router|finalhandler|send|path-to-regexp|depd|on-finished|ee-first|vary|etag|fresh|accepts|negotiator|mime-types|mime-db|qs|parseurl|proxy-addr|forwarded|ipaddr\.js|cookie|cookie-signature|encodeurl|escape-html|statuses|http-errors|setprototypeof|toidentifier|content-disposition|range-parser|merge-descriptors|serve-static|debug|ms|once|wrappy|side-channel.*|object-inspect|call-bound|get-intrinsic|es-.*|gopd|has-symbols|hasown|function-bind|math-intrinsics|dunder-proto|get-proto|call-bind-apply-helpers)$/,
  ],
  ["the service's own code (routes, catalog, app)", /^storefront: /],
  ['garbage collection', /^V8: garbage collector$/],
];

function concernOf(origin: string): string {
  for (const [concern, pattern] of CONCERNS) if (pattern.test(origin)) return concern;
  if (origin.startsWith('npm: ')) return 'other npm packages';
  return 'Node.js HTTP, sockets and runtime, outside any package frame';
}

function top(counts: Map<string, number>, total: number, limit: number): ProfileShare[] {
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, value]) => ({ name, percent: total > 0 ? (100 * value) / total : 0 }));
}

const add = (counts: Map<string, number>, key: string, value: number) =>
  counts.set(key, (counts.get(key) ?? 0) + value);

/**
 * Sums a profile up, counting only samples between `fromMicros` and `toMicros` (the measured run, on
 * the monotonic clock V8 stamps samples with) so that start-up and warm-up stay out. Two views of the
 * busy time: by the origin of the code that was running, and charged to the nearest package or
 * storefront frame on the stack (a socket write inside res.json() counts for express, a file write
 * inside the logger for pino): what code caused the work.
 */
export function summarize(
  profile: CpuProfile,
  bundle: string,
  window?: { fromMicros: number; toMicros: number },
): Omit<ProfileSummary, 'service' | 'scenario' | 'file' | 'run'> {
  const resolve = originResolver(bundle);
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);

  const inWindow = (at: number) => !window || (at >= window.fromMicros && at <= window.toMicros);
  let at = profile.startTime;
  const stamps = profile.timeDeltas.map((delta) => (at += delta));
  const windowed = window !== undefined && stamps.some(inWindow);

  const self = new Map<string, number>();
  const charged = new Map<string, number>();
  const functions = new Map<string, number>();
  let busy = 0;
  let all = 0;
  profile.samples.forEach((id, i) => {
    if (windowed && !inWindow(stamps[i])) return;
    const micros = profile.timeDeltas[i + 1] ?? 0;
    all += micros;
    const node = byId.get(id);
    if (!node) return;
    const here = resolve(node.callFrame);
    if (here.origin === '(idle)') return;
    busy += micros;
    add(self, here.origin, micros);
    let caller: Origin | undefined;
    for (let up: number | undefined = id; up !== undefined && !caller; up = parentOf.get(up)) {
      const frame = byId.get(up);
      const origin = frame && resolve(frame.callFrame);
      if (origin?.kind === 'code') caller = origin;
    }
    add(charged, caller?.origin ?? here.origin, micros);
    const name = node.callFrame.functionName || '(anonymous)';
    add(
      functions,
      here.location ? `${name} ${here.location}` : `${name}${caller ? ` (from ${caller.location})` : ''}`,
      micros,
    );
  });
  const concerns = new Map<string, number>();
  for (const [origin, micros] of charged) add(concerns, concernOf(origin), micros);
  return {
    sampledSeconds: all / 1e6,
    busyPercent: all > 0 ? (100 * busy) / all : 0,
    windowed,
    selfByOrigin: top(self, busy, 14),
    chargedToCode: top(charged, busy, 14),
    byConcern: top(concerns, busy, 20),
    topFunctions: top(functions, busy, 15),
  };
}
