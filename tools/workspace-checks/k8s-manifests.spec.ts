// The Kubernetes manifests (deploy/k8s): each overlay is rendered with `kubectl kustomize` and what the
// services rely on is checked on the result: probes on the right port, resources, a non-root read-only
// security context, a Service, a PodDisruptionBudget and an autoscaler per service, selectors that
// select, GATEWAY_SECRET from a Secret, and an environment that passes the services' own configuration
// checks with exactly one Redis topology. No cluster runs them here: this is a check of the rendering.
import { z } from 'zod';
import { cartServiceEnv } from '@storefront/cart-cache';
import { redisEnv, redisTopologyOf, type RedisTopology } from '@storefront/redis';
import { commonEnv, readConfig, resolveGatewaySecret } from '@storefront/service-kit';
import {
  type LabelSelector,
  type Manifest,
  is,
  SERVICES,
  OVERLAYS,
  TOPOLOGY_VARIABLES,
  render,
  find,
  workloads,
  podSpecOf,
  podLabelsOf,
  selectorOf,
  selects,
  selectedBy,
  environmentOf,
  set,
  plain,
  serviceContainer,
  portNumber,
  quantity,
  expectNonRoot,
  expectLockedDownContainer,
} from './k8s-manifests';

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
