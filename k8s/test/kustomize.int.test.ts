import { execFileSync } from 'node:child_process';
import { kubernetesErrors, type Manifest } from './kubernetes-schema';
import { envOf, find, kustomize, podSpec, type Container } from './render';
import { kubernetesTools } from './tools';

const OVERLAYS = ['dev', 'production'];
const POOLS = ['amd64', 'arm64', 'i386'];
const config = (manifests: Manifest[]) => (find(manifests, 'ConfigMap', 'tsbit-config') as Manifest & { data: Record<string, string> }).data;
const builder = (manifests: Manifest[], pool: string): Container => podSpec(find(manifests, 'Deployment', `builder-${pool}`)).containers[0] as Container;
const makeChroots = (manifests: Manifest[], pool: string): Container => podSpec(find(manifests, 'Deployment', `builder-${pool}`)).initContainers?.[0] as Container;

describe('the Kubernetes manifests, as kubectl 1.31 kustomize renders them', () => {
  it('is kubectl 1.31 that renders them', () => {
    expect(execFileSync(kubernetesTools().kubectl, ['version', '--client'], { encoding: 'utf8' })).toMatch(/Client Version: v1\.31\./);
  });

  it.each(OVERLAYS)('the %s overlay renders only objects that a Kubernetes 1.31 API server accepts, all in the tsbit namespace', (overlay) => {
    const manifests = kustomize(overlay);
    expect(manifests.flatMap((manifest) => kubernetesErrors(manifest))).toEqual([]);
    expect(manifests.filter((manifest) => manifest.kind !== 'Namespace' && manifest.metadata?.namespace !== 'tsbit')).toEqual([]);
  });

  it.each(OVERLAYS)('the %s overlay has every service, probed for health and readiness', (overlay) => {
    const manifests = kustomize(overlay);
    for (const name of ['job-intake', 'scheduler', 'projection', 'artifact', 'tsbit-gateway', ...POOLS.map((pool) => `builder-${pool}`)]) {
      const container = podSpec(find(manifests, 'Deployment', name)).containers[0];
      expect({ name, readiness: container?.readinessProbe !== undefined, liveness: container?.livenessProbe !== undefined }).toEqual({ name, readiness: true, liveness: true });
    }
  });

  it.each(OVERLAYS)("gives the %s overlay's builders the API through the in-cluster gateway, sbuild and the chroots their init container makes", (overlay) => {
    const manifests = kustomize(overlay);
    expect(config(manifests).TSBIT_API_URL).toBe('http://tsbit-gateway.tsbit.svc');
    for (const pool of POOLS) {
      const container = builder(manifests, pool);
      expect(container.env?.some((env) => env.name === 'TSBIT_API_URL')).toBe(false);
      expect(envOf(container, 'TSBIT_BUILDER_BACKEND')).toBe('sbuild');
      expect(envOf(container, 'TSBIT_CHROOT_DIR')).toBe('/var/cache/tsbit/chroots');
      expect(envOf(makeChroots(manifests, pool), 'TSBIT_CHROOT_DIR')).toBe('/var/cache/tsbit/chroots');
      expect(makeChroots(manifests, pool).command?.[2]).toContain('/app/services/builder/scripts/make-chroot.sh');
    }
    const gateway = find(manifests, 'ConfigMap', 'tsbit-gateway').data as Record<string, string>;
    const routes = Object.fromEntries([...(gateway['nginx.conf'] ?? '').matchAll(/location (\S+) \{ proxy_pass http:\/\/([a-z0-9-]+)\./g)].map((match) => [match[1], match[2]]));
    expect(routes).toEqual({ '/artifacts/': 'artifact', '/repos/': 'artifact', '/logs/': 'artifact', '/': 'job-intake' });
  });

  it("gives every pool exactly the rights sbuild's unshare mode needs", () => {
    const manifests = kustomize('production');
    for (const pool of POOLS) {
      const spec = podSpec(find(manifests, 'Deployment', `builder-${pool}`));
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 2000, seccompProfile: { type: 'Unconfined' }, appArmorProfile: { type: 'Unconfined' } });
      for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
        expect(container.securityContext).toEqual({
          privileged: false,
          allowPrivilegeEscalation: true,
          readOnlyRootFilesystem: true,
          capabilities: { drop: ['ALL'], add: ['SETUID', 'SETGID'] },
        });
      }
    }
    expect(find(manifests, 'Namespace', 'tsbit').metadata?.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'privileged' });
  });

  it('pins each builder pool to nodes of its architecture, and cross-builds arm64 on amd64 in the dev overlay', () => {
    const production = kustomize('production');
    const selector = (manifests: Manifest[], pool: string) => podSpec(find(manifests, 'Deployment', `builder-${pool}`)).nodeSelector;
    expect(selector(production, 'amd64')).toEqual({ 'kubernetes.io/arch': 'amd64' });
    expect(selector(production, 'arm64')).toEqual({ 'kubernetes.io/arch': 'arm64' });
    expect(selector(production, 'i386')).toEqual({ 'kubernetes.io/arch': 'amd64', 'tsbit.dev/i386-capable': 'true' });
    expect(POOLS.map((pool) => envOf(builder(production, pool), 'TSBIT_BUILDER_ARCHES'))).toEqual(POOLS);
    expect(makeChroots(production, 'arm64').command?.slice(3)).toEqual(['make-chroots', 'bookworm arm64']);

    const dev = kustomize('dev');
    expect(selector(dev, 'arm64')).toEqual({ 'kubernetes.io/arch': 'amd64' });
    expect(makeChroots(dev, 'arm64').command?.slice(3)).toEqual(['make-chroots', 'bookworm amd64 arm64']);
  });

  it('routes /artifacts, /repos and /logs to the artifact service, with no upload limit and unbuffered live logs', () => {
    const manifests = kustomize('production');
    const routes = manifests
      .filter((manifest) => manifest.kind === 'Ingress')
      .flatMap((ingress) => (ingress.spec as { rules: { host?: string; http: { paths: { path: string; backend: { service: { name: string } } }[] } }[] }).rules)
      .flatMap((rule) => rule.http.paths.map((route) => `${rule.host} ${route.path} ${route.backend.service.name}`));
    expect(routes).toEqual(['tsbit.example.org /artifacts artifact', 'tsbit.example.org /repos artifact', 'tsbit.example.org / job-intake', 'tsbit.example.org /logs artifact']);
    expect(find(manifests, 'Ingress', 'tsbit').metadata?.annotations).toMatchObject({ 'nginx.ingress.kubernetes.io/proxy-body-size': '0' });
    expect(find(manifests, 'Ingress', 'tsbit-logs').metadata?.annotations).toMatchObject({
      'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
      'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
    });
  });

  it('lets the scheduler size each pool between the bounds its annotations give', () => {
    const manifests = kustomize('production');
    expect(envOf(podSpec(find(manifests, 'Deployment', 'scheduler')).containers[0], 'TSBIT_SCALE_BUILDER_POOLS')).toBe('true');
    expect(find(manifests, 'Deployment', 'builder-arm64').metadata?.annotations).toMatchObject({ 'tsbit.dev/routing-arches': 'arm64', 'tsbit.dev/min-replicas': '0', 'tsbit.dev/max-replicas': '4' });
    expect(find(manifests, 'Role', 'tsbit-scheduler')).toBeDefined();
  });

  it('runs the dev overlay small, and both on PostgreSQL, production signing with the key from a Secret', () => {
    const dev = kustomize('dev');
    expect((find(dev, 'Deployment', 'builder-arm64').spec as { replicas: number }).replicas).toBe(0);
    expect((find(dev, 'Deployment', 'job-intake').spec as { replicas: number }).replicas).toBe(1);
    const production = kustomize('production');
    expect([config(dev).TSBIT_EVENT_LOG, config(production).TSBIT_EVENT_LOG]).toEqual(['postgres', 'postgres']);
    expect(config(production).TSBIT_PUBLIC_URL).toBe('https://tsbit.example.org');
    const artifact = podSpec(find(production, 'Deployment', 'artifact'));
    expect(envOf(artifact.containers[0], 'TSBIT_SIGNING_KEY_FILE')).toBe('/var/run/tsbit/signing/signing-key.asc');
    expect(artifact.volumes).toContainEqual({ name: 'signing-key', secret: { secretName: 'tsbit-signing-key', defaultMode: 0o440 } });
    expect(envOf(podSpec(find(dev, 'Deployment', 'artifact')).containers[0], 'TSBIT_SIGNING_KEY_FILE')).toBeUndefined();
  });
});
