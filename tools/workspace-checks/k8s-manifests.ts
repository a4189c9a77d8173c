// What the Kubernetes manifest checks (k8s-manifests.spec.ts) read: each overlay of deploy/k8s rendered
// with `kubectl kustomize`, the objects' shapes, and helpers that look into them (selectors, the
// environment a container gets, ports, quantities, security contexts).
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';

export const root = resolve(__dirname, '../..');

// The parts of the Kubernetes objects that these checks read (YAML from kubectl, so all of it is
// checked at run time: a missing field fails an expectation or throws).
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export interface SecurityContext {
  runAsNonRoot?: boolean;
  runAsUser?: number;
  seccompProfile?: { type: string };
  allowPrivilegeEscalation?: boolean;
  readOnlyRootFilesystem?: boolean;
  privileged?: boolean;
  capabilities?: { drop?: string[]; add?: string[] };
}

export interface Probe {
  httpGet?: { path: string; port: number | string };
  periodSeconds?: number;
}

export type KeyRef = { name: string; key: string };

export interface Container {
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

export interface PodSpec {
  containers: Container[];
  securityContext?: SecurityContext;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  volumes?: { name: string; emptyDir?: object; persistentVolumeClaim?: { claimName: string } }[];
}

export interface PodTemplate {
  metadata?: { labels?: Record<string, string> };
  spec: PodSpec;
}

export interface WorkloadSpec {
  replicas?: number;
  selector?: LabelSelector;
  template: PodTemplate;
}

/** The spec of each kind read here. */
export interface Specs {
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
export type Kind = keyof Specs;

/** An object of kind K (one of a union of kinds), with that kind's spec; of any kind, an unknown spec. */
export type Manifest<K extends string = string> = K extends unknown
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
export const is = <K extends Kind>(manifest: Manifest, kind: K): manifest is Manifest<K> => manifest.kind === kind;

export const SERVICES = [
  { name: 'gateway', port: 3000 },
  { name: 'inventory', port: 3001 },
  { name: 'checkout', port: 3002 },
] as const;

export const OVERLAYS = [
  { name: 'single-redis', topology: 'REDIS_URL' },
  { name: 'redis-cluster', topology: 'REDIS_CLUSTER_NODES' },
] as const;

export const TOPOLOGY_VARIABLES = ['REDIS_URL', 'REDIS_CLUSTER_NODES', 'REDIS_SENTINELS'] as const;

export const renderedOverlays = new Map<string, Manifest[]>();

/** `kubectl kustomize deploy/k8s/overlays/<overlay>`, parsed; once per overlay. */
export function render(overlay: string): Manifest[] {
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

export function find<K extends Kind>(manifests: Manifest[], kind: K, name: string): Manifest<K> {
  const found = manifests.filter((m): m is Manifest<K> => is(m, kind) && m.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} named ${name}, found ${found.length}`);
  return found[0];
}

export const WORKLOAD_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'ReplicaSet',
  'Job',
  'CronJob',
  'Pod',
] as const;
export type Workload = Manifest<(typeof WORKLOAD_KINDS)[number]>;
export const isWorkload = (m: Manifest): m is Workload => (WORKLOAD_KINDS as readonly string[]).includes(m.kind);
export const workloads = (manifests: Manifest[]) => manifests.filter(isWorkload);

/** The pod template's spec of a workload (a bare Pod is its own template). */
export function podSpecOf(workload: Workload): PodSpec {
  if (workload.kind === 'Pod') return workload.spec;
  if (workload.kind === 'CronJob') return workload.spec.jobTemplate.spec.template.spec;
  return workload.spec.template.spec;
}

export function podLabelsOf(workload: Workload): Record<string, string> {
  if (workload.kind === 'Pod') return workload.metadata.labels ?? {};
  if (workload.kind === 'CronJob') return workload.spec.jobTemplate.spec.template.metadata?.labels ?? {};
  return workload.spec.template.metadata?.labels ?? {};
}

/** The selector of a workload's own pods (a bare Pod and a CronJob have none). */
export const selectorOf = (workload: Workload) => ('selector' in workload.spec ? workload.spec.selector : undefined);

/** Whether a label selector selects `labels`; an empty selector selects everything, as in Kubernetes. */
export function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
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
export const selectedBy = (manifests: Manifest[], selector: LabelSelector) =>
  workloads(manifests)
    .filter((w) => selects(selector, podLabelsOf(w)))
    .map((w) => w.metadata.name);

export interface EnvValue {
  value: string;
  from: 'literal' | 'ConfigMap' | 'Secret';
}

export function dataOf(manifest: Manifest): Record<string, string> {
  if (manifest.kind === 'ConfigMap') return manifest.data ?? {};
  const decoded = Object.entries(manifest.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]);
  return { ...Object.fromEntries(decoded.map(([key, value]) => [key, value.toString()])), ...manifest.stringData };
}

/** A container's environment as Kubernetes builds it: envFrom in order, then env (which wins). */
export function environmentOf(manifests: Manifest[], container: Container): Map<string, EnvValue> {
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
export const set = (env: Map<string, EnvValue>, name: string) => (env.get(name)?.value ?? '') !== '';
export const plain = (env: Map<string, EnvValue>) =>
  Object.fromEntries([...env].map(([key, { value }]) => [key, value]));

/** The one container of a service's Deployment. */
export function serviceContainer(manifests: Manifest[], service: string): { pod: PodSpec; container: Container } {
  const pod = podSpecOf(find(manifests, 'Deployment', service));
  expect(pod.containers).toHaveLength(1);
  return { pod, container: pod.containers[0] };
}

/** A probe's or Service's port as a number: a name resolves to the container's port of that name. */
export function portNumber(container: Container, port: number | string): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p) => p.name === port)?.containerPort;
}

/** Kubernetes quantities, as numbers (CPU in cores, memory in bytes). */
export function quantity(value: string | number): number {
  const match = /^([0-9.]+)(m|k|M|G|Ki|Mi|Gi)?$/.exec(String(value));
  if (!match) throw new Error(`unexpected quantity ${value}`);
  const unit = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 }[match[2] ?? ''] ?? 1;
  return Number(match[1]) * unit;
}

export function expectNonRoot(context: SecurityContext, uid: number | undefined) {
  expect(context).toEqual(
    expect.objectContaining({ runAsNonRoot: true, runAsUser: uid, seccompProfile: { type: 'RuntimeDefault' } }),
  );
}

export function expectLockedDownContainer(container: Container, uid: number | undefined) {
  const context = container.securityContext ?? {};
  expectNonRoot(context, uid);
  expect(context.allowPrivilegeEscalation).toBe(false);
  expect(context.readOnlyRootFilesystem).toBe(true);
  expect(context.privileged).not.toBe(true);
  expect(context.capabilities?.drop).toContain('ALL');
  expect(context.capabilities?.add ?? []).toEqual([]);
}
