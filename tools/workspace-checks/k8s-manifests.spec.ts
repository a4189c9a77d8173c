// The Kubernetes manifests (deploy/k8s): each overlay is rendered with `kubectl kustomize` and what the
// services rely on is checked on the result: probes on the right port, resources, a non-root read-only
// security context, a Service, a PodDisruptionBudget and an autoscaler per service, selectors that
// select, GATEWAY_SECRET from a Secret, and an environment that passes the services' own configuration
// checks with exactly one Redis topology. No cluster runs them here: this is a check of the rendering.
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { z } from 'zod';
import { cartServiceEnv } from '@storefront/cart-cache';
import { redisEnv, redisTopologyOf, type RedisTopology } from '@storefront/redis';
import { commonEnv, readConfig, resolveGatewaySecret } from '@storefront/service-kit';

const root = resolve(__dirname, '../..');

// The parts of the Kubernetes objects that these checks read (YAML from kubectl, so all of it is
// checked at run time: a missing field fails an expectation or throws).
interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  seccompProfile?: { type: string };
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
}

interface Probe {
  httpGet?: { path: string; port: number | string };
  periodSeconds?: number;
}

type KeyRef = { name: string; key: string };

interface Container {
  image: string;
  command?: string[];
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  envFrom?: { prefix?: string; configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: { name: string; value?: string; valueFrom?: { configMapKeyRef?: KeyRef; secretKeyRef?: KeyRef } }[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
  securityContext?: SecurityContext;
  volumeMounts?: { name: string; mountPath: string }[];
}

interface PodSpec {
  containers: Container[];
  securityContext?: SecurityContext;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  volumes?: { name: string; emptyDir?: object; persistentVolumeClaim?: { claimName: string } }[];
}

interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: PodSpec;
}

interface WorkloadSpec {
  replicas?: number;
  selector?: LabelSelector;
  template: PodTemplate;
}

/** The spec of each kind read here. */
interface Specs {
  Deployment: WorkloadSpec;
  StatefulSet: WorkloadSpec;
  DaemonSet: WorkloadSpec;
  ReplicaSet: WorkloadSpec;
  Job: WorkloadSpec;
  CronJob: { jobTemplate: { spec: { template: PodTemplate } } };
  Pod: PodSpec;
  ConfigMap: undefined;
  Secret: undefined;
  Service: {
    type?: string;
    selector?: Record<string, string>;
    ports: { port: number; targetPort?: number | string }[];
  };
  PodDisruptionBudget: { selector: LabelSelector; minAvailable?: number | string; maxUnavailable?: number | string };
  HorizontalPodAutoscaler: {
    scaleTargetRef: { apiVersion: string; kind: string; name: string };
    minReplicas?: number;
    maxReplicas: number;
    metrics?: unknown[];
  };
  NetworkPolicy: {
    podSelector: LabelSelector;
    policyTypes?: string[];
    ingress?: { from?: { podSelector?: LabelSelector }[]; ports?: unknown[] }[];
  };
  PersistentVolumeClaim: { resources: { requests: Record<string, string> } };
}
type Kind = keyof Specs;

/** An object of kind K (one of a union of kinds), with that kind's spec; of any kind, an unknown spec. */
type Manifest<K extends string = string> = K extends unknown
  ? {
      apiVersion: string;
      kind: K;
      metadata: { name: string; labels?: Record<string, string> };
      spec: K extends Kind ? Specs[K] : unknown;
      data?: Record<string, string>;
      stringData?: Record<string, string>;
    }
  : never;

/** Whether `manifest` is of `kind`, with that kind's spec. */
const is = <K extends Kind>(manifest: Manifest, kind: K): manifest is Manifest<K> => manifest.kind === kind;

const SERVICES = [
  { name: 'gateway', port: 3000 },
  { name: 'inventory', port: 3001 },
  { name: 'checkout', port: 3002 },
] as const;

const OVERLAYS = [
  { name: 'single-redis', topology: 'REDIS_URL' },
  { name: 'redis-cluster', topology: 'REDIS_CLUSTER_NODES' },
] as const;

const TOPOLOGY_VARIABLES = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const;

const renderedOverlays = new Map<string, Manifest[]>();

/** `kubectl kustomize deploy/k8s/overlays/<overlay>`, parsed; once per overlay. */
function render(overlay: string): Manifest[] {
  const cached = renderedOverlays.get(overlay);
  if (cached) return cached;
  let text: string;
  try {
    text = execFileSync('kubectl', ['kustomize', join(root, 'deploy/k8s/overlays', overlay)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    const error = err as NodeJS.ErrnoException & { stderr?: string };
    if (error.code === 'ENOENT') {
      throw new Error('kubectl is not on PATH: these checks render deploy/k8s with `kubectl kustomize`; install it.');
    }
    throw new Error(`kubectl kustomize deploy/k8s/overlays/${overlay} failed: ${error.stderr ?? error.message}`);
  }
  const manifests = parseAllDocuments(text).map((doc) => {
    if (doc.errors.length > 0) throw new Error(`unparsable YAML from kubectl kustomize: ${doc.errors[0].message}`);
    return doc.toJS() as Manifest;
  });
  renderedOverlays.set(overlay, manifests);
  return manifests;
}

function find<K extends Kind>(manifests: Manifest[], kind: K, name: string): Manifest<K> {
  const found = manifests.filter((m): m is Manifest<K> => is(m, kind) && m.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} named ${name}, found ${found.length}`);
  return found[0];
}

const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod'] as const;
type Workload = Manifest<(typeof WORKLOAD_KINDS)[number]>;
const isWorkload = (m: Manifest): m is Workload => (WORKLOAD_KINDS as readonly string[]).includes(m.kind);
const workloads = (manifests: Manifest[]) => manifests.filter(isWorkload);

/** The pod template's spec of a workload (a bare Pod is its own template). */
function podSpecOf(workload: Workload): PodSpec {
  if (workload.kind === 'Pod') return workload.spec;
  if (workload.kind === 'CronJob') return workload.spec.jobTemplate.spec.template.spec;
  return workload.spec.template.spec;
}

function podLabelsOf(workload: Workload): Record<string, string> {
  if (workload.kind === 'Pod') return workload.metadata.labels ?? {};
  if (workload.kind === 'CronJob') return workload.spec.jobTemplate.spec.template.metadata?.labels ?? {};
  return workload.spec.template.metadata?.labels ?? {};
}

/** The selector of a workload's own pods (a bare Pod and a CronJob have none). */
const selectorOf = (workload: Workload) => ('selector' in workload.spec ? workload.spec.selector : undefined);

/** Whether a label selector selects `labels`; an empty selector selects everything, as in Kubernetes. */
function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabel = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpression = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return key in labels && values.includes(labels[key]);
      case 'NotIn':
        return !(key in labels) || !values.includes(labels[key]);
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        throw new Error(`unknown selector operator ${operator}`);
    }
  });
  return byLabel && byExpression;
}

/** The names of the workloads whose pods `selector` selects. */
const selectedBy = (manifests: Manifest[], selector: LabelSelector) =>
  workloads(manifests)
    .filter((w) => selects(selector, podLabelsOf(w)))
    .map((w) => w.metadata.name);

interface EnvValue {
  value: string;
  from: 'literal' | 'ConfigMap' | 'Secret';
}

function dataOf(manifest: Manifest): Record<string, string> {
  if (manifest.kind === 'ConfigMap') return manifest.data ?? {};
  const decoded = Object.entries(manifest.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]);
  return { ...Object.fromEntries(decoded.map(([key, value]) => [key, value.toString()])), ...manifest.stringData };
}

/** A container's environment as Kubernetes builds it: envFrom in order, then env (which wins). */
function environmentOf(manifests: Manifest[], container: Container): Map<string, EnvValue> {
  const env = new Map<string, EnvValue>();
  for (const source of container.envFrom ?? []) {
    const kind = source.configMapRef ? 'ConfigMap' : 'Secret';
    const ref = source.configMapRef ?? source.secretRef;
    if (!ref) throw new Error('an envFrom without a configMapRef or a secretRef');
    const data = dataOf(find(manifests, kind, ref.name));
    for (const [key, value] of Object.entries(data)) env.set(`${source.prefix ?? ''}${key}`, { value, from: kind });
  }
  for (const entry of container.env ?? []) {
    if (entry.value !== undefined || !entry.valueFrom) {
      env.set(entry.name, { value: entry.value ?? '', from: 'literal' });
      continue;
    }
    const kind = entry.valueFrom.configMapKeyRef ? 'ConfigMap' : 'Secret';
    const ref = entry.valueFrom.configMapKeyRef ?? entry.valueFrom.secretKeyRef;
    if (!ref) throw new Error(`${entry.name}: only values from a ConfigMap or a Secret are checked here`);
    const value = dataOf(find(manifests, kind, ref.name))[ref.key];
    if (value === undefined) throw new Error(`${entry.name}: ${kind} ${ref.name} has no key ${ref.key}`);
    env.set(entry.name, { value, from: kind });
  }
  return env;
}

/** The services' own readers: an empty value counts as unset, as in the services. */
const set = (env: Map<string, EnvValue>, name: string) => (env.get(name)?.value ?? '') !== '';
const plain = (env: Map<string, EnvValue>) => Object.fromEntries([...env].map(([key, { value }]) => [key, value]));

/** The one container of a service's Deployment. */
function serviceContainer(manifests: Manifest[], service: string): { pod: PodSpec; container: Container } {
  const pod = podSpecOf(find(manifests, 'Deployment', service));
  expect(pod.containers).toHaveLength(1);
  return { pod, container: pod.containers[0] };
}

/** A probe's or Service's port as a number: a name resolves to the container's port of that name. */
function portNumber(container: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** Kubernetes quantities, as numbers (CPU in cores, memory in bytes). */
function quantity(value: string | number): number {
  const match = /^([0-9.]+)(m|k|M|G|Ki|Mi|Gi)?$/.exec(String(value));
  if (!match) throw new Error(`unexpected quantity ${value}`);
  const unit = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * unit;
}

function expectNonRoot(context: SecurityContext, uid: number | undefined) {
  expect(context).toEqual(
    expect.objectContaining({ runAsNonRoot: true, runAsUser: uid, seccompProfile: { type: 'RuntimeDefault' } }),
  );
}

function expectLockedDownContainer(container: Container, uid: number | undefined) {
  const context = container.securityContext ?? {};
  expectNonRoot(context, uid);
  expect(context.allowPrivilegeEscalation).toBe(false);
  expect(context.readOnlyRootFilesystem).toBe(true);
  expect(context.privileged).not.toBe(true);
  expect(context.capabilities?.drop).toContain('ALL');
  expect(context.capabilities?.add ?? []).toEqual([]);
}

describe('Kubernetes manifests (deploy/k8s)', () => {
  describe.each(OVERLAYS)('overlay $name', ({ name: overlay, topology }) => {
    it.each(SERVICES)(
      '$name: a Deployment with /healthz and /readyz probes on its port, resources, non-root and read-only',
      ({ name, port }) => {
        const manifests = render(overlay);
        const { pod, container } = serviceContainer(manifests, name);
        expect(container.image).toMatch(new RegExp(`^storefront/${name}(:|@|$)`));
        expect(portNumber(container, 'http')).toBe(port);
        expect(environmentOf(manifests, container).get('PORT')?.value).toBe(String(port));

        // Liveness asks /healthz only: a slow or absent Redis makes a pod unready, never restarts it.
        const probes = [
          ['startupProbe', '/healthz'],
          ['livenessProbe', '/healthz'],
          ['readinessProbe', '/readyz'],
        ] as const;
        for (const [probe, path] of probes) {
          const get = container[probe]?.httpGet;
          const found = { probe, path: get?.path, port: get && portNumber(container, get.port) };
          expect(found).toEqual({ probe, path, port });
          expect(container[probe]?.periodSeconds).toBeGreaterThan(0);
        }

        const { requests = {}, limits = {} } = container.resources ?? {};
        for (const resource of ['cpu', 'memory']) {
          const found = { resource, request: requests[resource] !== undefined, limit: limits[resource] !== undefined };
          expect(found).toEqual({ resource, request: true, limit: true });
          expect(quantity(requests[resource])).toBeLessThanOrEqual(quantity(limits[resource]));
        }
        // The processes use 60-100 MB.
        expect(quantity(limits.memory)).toBeGreaterThanOrEqual(192 * 1024 ** 2);

        expectNonRoot(pod.securityContext ?? {}, 1000);
        expectLockedDownContainer(container, 1000);
        expect(pod.automountServiceAccountToken).toBe(false);
        // Longer than the drain: preStop, then at most 10 s for requests in flight.
        expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(20);
        const tmp = container.volumeMounts?.find((m) => m.mountPath === '/tmp');
        expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
      },
    );

    it.each(SERVICES)('$name: a ClusterIP Service, a PodDisruptionBudget and a CPU autoscaler for its pods', (s) => {
      const { name, port } = s;
      const manifests = render(overlay);
      const { container } = serviceContainer(manifests, name);

      const { spec } = find(manifests, 'Service', name);
      expect(spec.type ?? 'ClusterIP').toBe('ClusterIP');
      expect(spec.selector).toBeDefined();
      expect(selectedBy(manifests, { matchLabels: spec.selector })).toEqual([name]);
      expect(spec.ports).toHaveLength(1);
      expect(spec.ports[0].port).toBe(port);
      expect(portNumber(container, spec.ports[0].targetPort ?? spec.ports[0].port)).toBe(port);

      const budget = find(manifests, 'PodDisruptionBudget', name);
      expect(budget.apiVersion).toBe('policy/v1');
      expect(selectedBy(manifests, budget.spec.selector)).toEqual([name]);
      expect(budget.spec.minAvailable ?? budget.spec.maxUnavailable).toBe(1);

      const autoscaler = find(manifests, 'HorizontalPodAutoscaler', name);
      expect(autoscaler.apiVersion).toBe('autoscaling/v2');
      expect(autoscaler.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      expect(autoscaler.spec.minReplicas).toBeGreaterThanOrEqual(2);
      expect(autoscaler.spec.maxReplicas).toBeGreaterThanOrEqual(autoscaler.spec.minReplicas ?? 1);
      expect(autoscaler.spec.metrics).toContainEqual({
        type: 'Resource',
        resource: { name: 'cpu', target: expect.objectContaining({ type: 'Utilization' }) },
      });
    });

    it('every selector selects pods, and a workload its own pod template', () => {
      const manifests = render(overlay);
      const problems: string[] = [];
      for (const workload of workloads(manifests)) {
        const selector = selectorOf(workload);
        if (selector && !selects(selector, podLabelsOf(workload))) {
          problems.push(`${workload.kind} ${workload.metadata.name}: its selector misses its own pods`);
        }
      }
      for (const m of manifests) {
        const selectors: LabelSelector[] = [];
        if (is(m, 'Service') && m.spec.selector) selectors.push({ matchLabels: m.spec.selector });
        if (is(m, 'PodDisruptionBudget')) selectors.push(m.spec.selector);
        if (is(m, 'NetworkPolicy')) {
          const peers = (m.spec.ingress ?? []).flatMap((rule) => rule.from ?? []);
          selectors.push(m.spec.podSelector, ...peers.flatMap((p) => (p.podSelector ? [p.podSelector] : [])));
        }
        for (const selector of selectors) {
          if (selectedBy(manifests, selector).length > 0) continue;
          problems.push(`${m.kind} ${m.metadata.name} selects no pods`);
        }
      }
      expect(problems).toEqual([]);
    });

    it('only the gateway accepts traffic from other pods; the gateway finds the others through their Services', () => {
      const manifests = render(overlay);
      for (const { name, port } of SERVICES.filter((s) => s.name !== 'gateway')) {
        const policy = manifests.find(
          (m): m is Manifest<'NetworkPolicy'> =>
            is(m, 'NetworkPolicy') && selectedBy(manifests, m.spec.podSelector).includes(name),
        );
        expect(policy?.spec.policyTypes).toContain('Ingress');
        const rules = policy?.spec.ingress ?? [];
        expect(rules).toHaveLength(1);
        expect(rules[0].from?.map((peer) => selectedBy(manifests, peer.podSelector ?? {}))).toEqual([['gateway']]);
        expect(rules[0].ports).toEqual([{ port, protocol: 'TCP' }]);
      }
      const env = environmentOf(manifests, serviceContainer(manifests, 'gateway').container);
      expect(env.get('INVENTORY_URL')?.value).toBe('http://inventory:3001');
      expect(env.get('CHECKOUT_URL')?.value).toBe('http://checkout:3002');
    });

    it('GATEWAY_SECRET comes from a Secret, the same for every service, and the placeholder is refused', () => {
      const manifests = render(overlay);
      const secrets = SERVICES.map(({ name }) => {
        const secret = environmentOf(manifests, serviceContainer(manifests, name).container).get('GATEWAY_SECRET');
        expect({ name, from: secret?.from }).toEqual({ name, from: 'Secret' });
        return secret?.value;
      });
      expect(new Set(secrets).size).toBe(1);
      // The committed value must be replaced: with NODE_ENV=production the services refuse to start on it.
      expect(() => resolveGatewaySecret('production', secrets[0])).toThrow(/at least 32 characters/);
    });

    it(`each service has exactly one Redis topology, ${topology}, and its settings pass the services' checks`, () => {
      const manifests = render(overlay);
      for (const { name } of SERVICES) {
        const env = environmentOf(manifests, serviceContainer(manifests, name).container);
        expect({ name, topology: TOPOLOGY_VARIABLES.filter((variable) => set(env, variable)) }).toEqual({
          name,
          topology: [topology],
        });
        expect(env.get('NODE_ENV')?.value).toBe('production');
        // The readers the services use (the gateway adds its own URLs, checked above).
        const schema = z.object(name === 'gateway' ? { ...commonEnv, ...redisEnv } : cartServiceEnv);
        const chosen: RedisTopology = redisTopologyOf(readConfig(schema, plain(env)));
        expect(chosen.kind).toBe(topology === 'REDIS_URL' ? 'single' : 'cluster');
      }
    });
  });

  it('single-redis: REDIS_URL names the Redis it deploys, non-root, with the settings of docker-compose.yml', () => {
    const manifests = render('single-redis');
    const env = environmentOf(manifests, serviceContainer(manifests, 'inventory').container);
    const url = new URL(env.get('REDIS_URL')?.value ?? '');
    const service = find(manifests, 'Service', url.hostname);
    expect(service.spec.ports.map((p) => p.port)).toContain(Number(url.port || 6379));
    const [redis] = selectedBy(manifests, { matchLabels: service.spec.selector });
    const workload = workloads(manifests).find((w) => w.metadata.name === redis);
    if (!workload) throw new Error(`the Service ${service.metadata.name} selects no workload`);
    const pod = podSpecOf(workload);
    const [container] = pod.containers;
    expect(container.image).toMatch(/^redis:/);
    const command = [...(container.command ?? []), ...(container.args ?? [])].join(' ');
    for (const setting of ['--maxmemory 256mb', '--maxmemory-policy noeviction', '--appendonly yes']) {
      expect(command).toContain(setting);
    }
    expect(command).toContain('--appendfsync everysec');
    expect('replicas' in workload.spec ? (workload.spec.replicas ?? 1) : 1).toBe(1);
    const uid = container.securityContext?.runAsUser;
    expectNonRoot(pod.securityContext ?? {}, uid);
    expect(uid).toBeGreaterThan(0);
    expectLockedDownContainer(container, uid);
    // The append-only file outlives the pod.
    const data = container.volumeMounts?.find((m) => m.mountPath === '/data');
    const claim = pod.volumes?.find((v) => v.name === data?.name)?.persistentVolumeClaim?.claimName;
    expect(claim).toBeDefined();
    expect(find(manifests, 'PersistentVolumeClaim', claim ?? '').spec.resources.requests.storage).toBeDefined();
    expect(container.readinessProbe).toBeDefined();
    expect(container.resources?.limits?.memory).toBeDefined();
  });

  it('redis-cluster: REDIS_CLUSTER_NODES only (no REDIS_URL, even empty) and no Redis rendered', () => {
    const manifests = render('redis-cluster');
    for (const { name } of SERVICES) {
      const env = environmentOf(manifests, serviceContainer(manifests, name).container);
      expect({ name, url: env.has('REDIS_URL'), sentinels: env.has('REDIS_SENTINELS') }).toEqual({
        name,
        url: false,
        sentinels: false,
      });
      expect(set(env, 'REDIS_CLUSTER_NODES')).toBe(true);
    }
    const redis = workloads(manifests).filter((w) =>
      podSpecOf(w).containers.some((c) => /(^|\/)redis(:|@|$)/.test(c.image)),
    );
    expect(redis.map((w) => w.metadata.name)).toEqual([]);
    expect(manifests.filter((m) => m.kind === 'PersistentVolumeClaim' || /redis/.test(m.metadata.name))).toEqual([]);
    expect(
      workloads(manifests)
        .map((w) => w.metadata.name)
        .sort(),
    ).toEqual(['checkout', 'gateway', 'inventory']);
  });
});
