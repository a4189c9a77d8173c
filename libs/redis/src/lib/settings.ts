// Where the data lives (docs/CONTRACT.md "Redis topologies"): exactly one of REDIS_URL (one node, the
// default), REDIS_CLUSTER_NODES (a Redis Cluster) or REDIS_SENTINELS (a primary that Sentinel names).
// More than one set, or a malformed list, stops the process with a message naming the variables.
import { ConfigError, envVar } from '@storefront/service-kit';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** The environment every process that talks to Redis reads. */
export const redisEnv = {
  REDIS_URL: envVar.optionalUrl(['redis:', 'rediss:']),
  REDIS_CLUSTER_NODES: envVar.optionalString(),
  REDIS_SENTINELS: envVar.optionalString(),
  REDIS_SENTINEL_NAME: envVar.string('mymaster'),
  // Credentials of the data nodes behind Sentinel (a cluster takes them from its URLs), and of the
  // sentinels themselves.
  REDIS_USERNAME: envVar.optionalString(),
  REDIS_PASSWORD: envVar.optionalString(),
  REDIS_SENTINEL_USERNAME: envVar.optionalString(),
  REDIS_SENTINEL_PASSWORD: envVar.optionalString(),
  REDIS_WAIT_REPLICAS: envVar.int(0, 0, 16),
  // At most 200 ms: a WAIT holds its connection, and must leave a command queued behind it time to
  // answer within the shortest command timeout (300 ms, on a Cluster): confirmed-writes.ts.
  REDIS_WAIT_TIMEOUT_MS: envVar.int(200, 1, 200),
};

export interface RedisSettings {
  REDIS_URL?: string;
  REDIS_CLUSTER_NODES?: string;
  REDIS_SENTINELS?: string;
  REDIS_SENTINEL_NAME: string;
  REDIS_USERNAME?: string;
  REDIS_PASSWORD?: string;
  REDIS_SENTINEL_USERNAME?: string;
  REDIS_SENTINEL_PASSWORD?: string;
  REDIS_WAIT_REPLICAS: number;
  REDIS_WAIT_TIMEOUT_MS: number;
}

export interface HostPort {
  host: string;
  port: number;
}

interface Credentials {
  username?: string;
  password?: string;
}

export type RedisTopology =
  | { kind: 'single'; url: string }
  | ({ kind: 'cluster'; nodes: HostPort[]; tls: boolean } & Credentials)
  | ({ kind: 'sentinel'; sentinels: HostPort[]; name: string; sentinel: Credentials } & Credentials);

/** How many replicas must confirm each write (Redis WAIT), and how long to wait for them. */
export interface WriteConcern {
  replicas: number;
  timeoutMs: number;
}

function fail(variable: string, problem: string): never {
  throw new ConfigError(`Invalid configuration: ${variable}: ${problem}`);
}

function parseUrl(variable: string, value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(variable, `"${value}" is not a URL`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    fail(variable, 'must be a URL starting with redis:// or rediss://');
  return url;
}

function parseHostPort(variable: string, entry: string): HostPort {
  const match = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/.exec(entry);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) fail(variable, `"${entry}" is not host:port`);
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

function listOf(variable: string, value: string): string[] {
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.some((entry) => entry === '')) fail(variable, 'is a comma-separated list with an empty entry');
  return entries;
}

function clusterOf(value: string): RedisTopology {
  const variable = 'REDIS_CLUSTER_NODES';
  const nodes: HostPort[] = [];
  const seen = new Set<string>();
  for (const entry of listOf(variable, value)) {
    if (!entry.includes('://')) {
      nodes.push(parseHostPort(variable, entry));
      continue;
    }
    const url = parseUrl(variable, entry);
    nodes.push(parseHostPort(variable, `${url.hostname}:${url.port || 6379}`));
    seen.add(JSON.stringify({ tls: url.protocol === 'rediss:', username: url.username, password: url.password }));
  }
  // Every node of one cluster takes the same credentials and TLS setting.
  if (seen.size > 1) fail(variable, 'its URLs disagree on user, password or TLS');
  const [only] = [...seen].map((text) => JSON.parse(text) as { tls: boolean; username: string; password: string });
  return {
    kind: 'cluster',
    nodes,
    tls: only?.tls ?? false,
    username: only?.username ? decodeURIComponent(only.username) : undefined,
    password: only?.password ? decodeURIComponent(only.password) : undefined,
  };
}

/** The one topology the settings choose; a ConfigError naming the variables otherwise. */
export function redisTopologyOf(settings: RedisSettings): RedisTopology {
  const chosen = (['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const).filter(
    (variable) => settings[variable] !== undefined,
  );
  if (chosen.length > 1) {
    throw new ConfigError(
      `Invalid configuration: set only one of ${chosen.join(', ')} (each chooses where the data lives)`,
    );
  }
  if (settings.REDIS_CLUSTER_NODES !== undefined) return clusterOf(settings.REDIS_CLUSTER_NODES);
  if (settings.REDIS_SENTINELS !== undefined) {
    return {
      kind: 'sentinel',
      sentinels: listOf('REDIS_SENTINELS', settings.REDIS_SENTINELS).map((entry) =>
        parseHostPort('REDIS_SENTINELS', entry),
      ),
      name: settings.REDIS_SENTINEL_NAME,
      username: settings.REDIS_USERNAME,
      password: settings.REDIS_PASSWORD,
      sentinel: { username: settings.REDIS_SENTINEL_USERNAME, password: settings.REDIS_SENTINEL_PASSWORD },
    };
  }
  const url = settings.REDIS_URL ?? DEFAULT_REDIS_URL;
  parseUrl('REDIS_URL', url);
  return { kind: 'single', url };
}

export function writeConcernOf(settings: RedisSettings): WriteConcern {
  return { replicas: settings.REDIS_WAIT_REPLICAS, timeoutMs: settings.REDIS_WAIT_TIMEOUT_MS };
}
