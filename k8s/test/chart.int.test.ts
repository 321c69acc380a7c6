import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { kubernetesErrors, type Manifest } from './kubernetes-schema';
import { chartDir, envOf, find, helm, helmTemplate, podSpec, RELEASE, type Container } from './render';

/** A values file of its own for one test (lists in values replace the chart's whole list). */
function valuesFile(values: object): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'tsbit-chart-')), 'values.yaml');
  writeFileSync(file, stringify(values));
  return file;
}

const GATEWAY_URL = `http://${RELEASE}-gateway.tsbit.svc`;
const pool = (manifests: Manifest[], name: string) => find(manifests, 'Deployment', `${RELEASE}-builder-${name}`);
const builderContainer = (manifests: Manifest[], name: string): Container => podSpec(pool(manifests, name)).containers[0] as Container;
const initContainer = (manifests: Manifest[], name: string): Container => podSpec(pool(manifests, name)).initContainers?.[0] as Container;
/** The make-chroot.sh arguments the init container's script is given, one line per tarball. */
const chrootSpecs = (container: Container): string[] =>
  (/<<'CHROOTS'\n([\s\S]*?)CHROOTS/.exec(container.command?.[2] ?? '')?.[1] ?? '').split('\n').filter(Boolean);

describe('the Helm chart, as helm 3.17 renders it', () => {
  it('is the helm and kubectl of Kubernetes 1.31 that check it', () => {
    expect(helm(['version', '--short']).stdout).toMatch(/^v3\.17\./);
  });

  it.each([[[]], [['examples/dev.yaml']], [['examples/production.yaml']]])('passes helm lint with %j', (valuesFiles: string[]) => {
    const result = helm(['lint', chartDir, '--strict', ...valuesFiles.flatMap((file) => ['--values', path.join(chartDir, file)])]);
    expect({ status: result.status, output: result.stdout + result.stderr }).toEqual({ status: 0, output: expect.stringContaining('0 chart(s) failed') });
  });

  it.each([
    ['the default values', []],
    ['the dev values', ['examples/dev.yaml']],
    ['the production example', ['examples/production.yaml']],
  ])('renders with %s only objects that a Kubernetes 1.31 API server accepts', (_label, valuesFiles: string[]) => {
    const manifests = helmTemplate({ valuesFiles });
    expect(manifests.length).toBeGreaterThan(15);
    expect(manifests.flatMap((manifest) => kubernetesErrors(manifest))).toEqual([]);
  });

  it('renders every option (chroot volumes, binfmt, emulated and cross pools, TLS, a signing Secret) as valid objects', () => {
    const manifests = helmTemplate({
      valuesFiles: [
        'examples/production.yaml',
        valuesFile({
          binfmt: { enabled: true, tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }] },
          builderPools: [
            { name: 'arm64-emulated', arches: ['arm64'], nodeArch: 'amd64', foreignMode: 'emulated', replicas: 1, minReplicas: 0, maxReplicas: 2 },
            { name: 'arm64-cross', arches: ['arm64'], nodeArch: 'amd64', foreignMode: 'cross', replicas: 1, minReplicas: 0, maxReplicas: 2 },
          ],
        }),
      ],
    });
    expect(manifests.map((manifest) => manifest.kind)).toEqual(expect.arrayContaining(['DaemonSet', 'CronJob', 'PersistentVolumeClaim']));
    expect(manifests.flatMap((manifest) => kubernetesErrors(manifest))).toEqual([]);
  });

  describe('refuses values that would deploy a broken farm', () => {
    const bad: [string, object, RegExp][] = [
      ['an event log it does not have', { config: { eventLog: 'mysql' } }, /config\.eventLog/],
      ['a pool without the arch of its nodes', { builderPools: [{ name: 'x', arches: ['amd64'], replicas: 1, minReplicas: 0, maxReplicas: 1 }] }, /nodeArch is required/],
      ['a foreign mode it cannot build with', { builderPools: [{ name: 'x', arches: ['arm64'], nodeArch: 'amd64', foreignMode: 'qemu', replicas: 1, minReplicas: 0, maxReplicas: 1 }] }, /foreignMode/],
      ['a privileged builder', { builder: { securityContext: { privileged: true } } }, /builder\.securityContext\.privileged/],
      ['builders that may not gain their file capabilities', { builder: { securityContext: { allowPrivilegeEscalation: false } } }, /allowPrivilegeEscalation/],
      ['builders running as root', { builder: { podSecurityContext: { runAsNonRoot: false } } }, /runAsNonRoot/],
      ['two artifact services on one ReadWriteOnce volume', { services: { artifact: { replicas: 2 } } }, /services\.artifact\.replicas/],
      ['a setting the chart does not know', { builder: { chroot: { mirror: 'x' } } }, /Additional property chroot is not allowed/],
    ];
    it.each(bad)('%s', (_label, values, message) => {
      const result = helm(['template', RELEASE, chartDir, '--values', valuesFile(values)]);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/values don't meet the specifications of the schema/);
      expect(result.stderr).toMatch(message);
    });

    it('a pool that emulates an arch with no binfmt_misc registration on its nodes', () => {
      const values = { builderPools: [{ name: 'arm64', arches: ['arm64'], nodeArch: 'amd64', foreignMode: 'emulated', replicas: 1, minReplicas: 0, maxReplicas: 1 }] };
      const result = helm(['template', RELEASE, chartDir, '--values', valuesFile(values)]);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/builderPools\[arm64\]: foreignMode emulated needs binfmt\.enabled=true/);
    });
  });

  describe('builder pools', () => {
    const manifests = helmTemplate();

    it('pins each pool to nodes of its architecture, i386 on amd64 nodes', () => {
      const selector = (name: string) => podSpec(pool(manifests, name)).nodeSelector;
      expect(selector('amd64')).toEqual({ 'kubernetes.io/arch': 'amd64' });
      expect(selector('i386')).toEqual({ 'kubernetes.io/arch': 'amd64', 'tsbit.dev/i386-capable': 'true' });
      expect(selector('arm64')).toEqual({ 'kubernetes.io/arch': 'arm64' });
      expect(['amd64', 'i386', 'arm64'].map((name) => envOf(builderContainer(manifests, name), 'TSBIT_BUILDER_ARCHES'))).toEqual(['amd64', 'i386', 'arm64']);
    });

    it('moves arm64 to amd64 nodes by a value, cross-built or emulated, with the tolerations given', () => {
      const toleration = { key: 'dedicated', operator: 'Equal', value: 'builds', effect: 'NoSchedule' };
      const moved = helmTemplate({
        valuesFiles: [
          valuesFile({
            binfmt: { enabled: true },
            builderPools: [
              { name: 'cross', arches: ['arm64'], nodeArch: 'amd64', foreignMode: 'cross', tolerations: [toleration], replicas: 1, minReplicas: 0, maxReplicas: 1 },
              { name: 'emulated', arches: ['arm64'], nodeArch: 'amd64', foreignMode: 'emulated', replicas: 1, minReplicas: 0, maxReplicas: 1 },
            ],
          }),
        ],
      });
      expect(podSpec(pool(moved, 'cross')).nodeSelector).toEqual({ 'kubernetes.io/arch': 'amd64' });
      expect(podSpec(pool(moved, 'cross')).tolerations).toEqual([toleration]);
      // The chroot names the builder looks for: <suite>-<build arch>-cross-<host arch>.tar, or the arch's own.
      expect(chrootSpecs(initContainer(moved, 'cross'))).toEqual(['bookworm amd64 arm64']);
      expect(chrootSpecs(initContainer(moved, 'emulated'))).toEqual(['bookworm arm64']);
      const binfmt = find(moved, 'DaemonSet', `${RELEASE}-binfmt`);
      expect(podSpec(binfmt).nodeSelector).toEqual({ 'kubernetes.io/arch': 'amd64' });
    });

    it('gives the builder the API through the in-cluster gateway, never 127.0.0.1, and sbuild as its back end', () => {
      for (const name of ['amd64', 'i386', 'arm64']) {
        const builder = builderContainer(manifests, name);
        expect(envOf(builder, 'TSBIT_API_URL')).toBe(GATEWAY_URL);
        expect(envOf(builder, 'TSBIT_BUILDER_BACKEND')).toBe('sbuild');
        expect(envOf(builder, 'TSBIT_CHROOT_DIR')).toBe('/var/cache/tsbit/chroots');
      }
      const gateway = find(manifests, 'ConfigMap', `${RELEASE}-gateway`).data as Record<string, string>;
      const routes = Object.fromEntries([...(gateway['nginx.conf'] ?? '').matchAll(/location (\S+) \{ proxy_pass http:\/\/([a-z0-9-]+)\./g)].map((match) => [match[1], match[2]]));
      expect(routes).toEqual({ '/artifacts/': `${RELEASE}-artifact`, '/repos/': `${RELEASE}-artifact`, '/logs/': `${RELEASE}-artifact`, '/': `${RELEASE}-job-intake` });
      expect(gateway['nginx.conf']).toMatch(/client_max_body_size 0;[\s\S]*proxy_request_buffering off;[\s\S]*proxy_buffering off;/);
    });

    it("has exactly the rights sbuild's unshare mode needs: no root, no privileged container, two capabilities", () => {
      for (const name of ['amd64', 'i386', 'arm64']) {
        const spec = podSpec(pool(manifests, name));
        expect(spec.securityContext).toMatchObject({
          runAsNonRoot: true,
          runAsUser: 2000,
          seccompProfile: { type: 'Unconfined' },
          appArmorProfile: { type: 'Unconfined' },
        });
        for (const container of [...(spec.initContainers ?? []), ...spec.containers]) {
          expect(container.securityContext).toEqual({
            privileged: false,
            allowPrivilegeEscalation: true,
            readOnlyRootFilesystem: true,
            capabilities: { drop: ['ALL'], add: ['SETUID', 'SETGID'] },
          });
        }
      }
      const privileged = helmTemplate({ valuesFiles: [valuesFile({ binfmt: { enabled: true } })] })
        .filter((manifest) => ['Deployment', 'DaemonSet', 'CronJob'].includes(manifest.kind ?? ''))
        .flatMap((manifest) => [...(podSpec(manifest).initContainers ?? []), ...podSpec(manifest).containers].map((container) => ({ owner: manifest.metadata?.name, container })))
        .filter(({ container }) => container.securityContext?.privileged === true)
        .map(({ owner, container }) => `${owner}/${container.name}`);
      expect(privileged).toEqual([`${RELEASE}-binfmt/register-qemu-aarch64`]);
    });

    it('makes the chroots in an init container, into an emptyDir that the builder reads', () => {
      const spec = podSpec(pool(manifests, 'i386'));
      const init = initContainer(manifests, 'i386');
      expect(init.command?.slice(0, 2)).toEqual(['sh', '-c']);
      expect(init.command?.[2]).toContain('/app/services/builder/scripts/make-chroot.sh "$suite" "$arch"');
      expect(init.command?.slice(3)).toEqual(['make-chroots', 'missing']);
      expect(chrootSpecs(init)).toEqual(['bookworm i386']);
      expect(envOf(init, 'TSBIT_CHROOT_DIR')).toBe('/var/cache/tsbit/chroots');
      expect(init.volumeMounts).toContainEqual({ name: 'chroots', mountPath: '/var/cache/tsbit/chroots' });
      expect(builderContainer(manifests, 'i386').volumeMounts).toContainEqual({ name: 'chroots', mountPath: '/var/cache/tsbit/chroots', readOnly: true });
      expect(spec.volumes).toContainEqual({ name: 'chroots', emptyDir: { sizeLimit: '10Gi' } });
    });

    it('or keeps them on a volume per pool that a CronJob remakes weekly on the pool\'s nodes', () => {
      const kept = helmTemplate({ valuesFiles: ['examples/production.yaml'] });
      expect(podSpec(pool(kept, 'arm64')).volumes).toContainEqual({ name: 'chroots', persistentVolumeClaim: { claimName: `${RELEASE}-chroots-arm64` } });
      const claim = find(kept, 'PersistentVolumeClaim', `${RELEASE}-chroots-arm64`).spec as { accessModes: string[] };
      expect(claim.accessModes).toEqual(['ReadWriteMany']);
      const cronJob = find(kept, 'CronJob', `${RELEASE}-chroots-arm64`);
      expect((cronJob.spec as { schedule: string }).schedule).toBe('17 3 * * 0');
      const job = podSpec(cronJob);
      expect(job.nodeSelector).toEqual({ 'kubernetes.io/arch': 'arm64' });
      expect(job.tolerations).toEqual(podSpec(pool(kept, 'arm64')).tolerations);
      expect(job.securityContext).toEqual(podSpec(pool(kept, 'arm64')).securityContext);
      expect(job.containers[0]?.command?.slice(3)).toEqual(['make-chroots', 'all']);
    });
  });

  describe('the artifact service and the ingress', () => {
    it('keeps the store and the repositories on a volume claim, and signs with a key made on first start', () => {
      const manifests = helmTemplate();
      const artifact = find(manifests, 'Deployment', `${RELEASE}-artifact`);
      expect(podSpec(artifact).volumes).toContainEqual({ name: 'store', persistentVolumeClaim: { claimName: `${RELEASE}-artifacts` } });
      expect(find(manifests, 'PersistentVolumeClaim', `${RELEASE}-artifacts`).spec).toMatchObject({ resources: { requests: { storage: '100Gi' } } });
      const container = podSpec(artifact).containers[0];
      expect(envOf(container, 'TSBIT_ARTIFACT_DIR')).toBe('/var/lib/tsbit/artifacts');
      expect(envOf(container, 'TSBIT_SIGNING_KEY_FILE')).toBeUndefined();
      expect(envOf(container, 'TSBIT_PUBLIC_URL')).toBe(GATEWAY_URL);
    });

    it('takes the public URL from the ingress host and the signing key from an existing Secret', () => {
      const manifests = helmTemplate({ valuesFiles: ['examples/production.yaml'] });
      const artifact = podSpec(find(manifests, 'Deployment', `${RELEASE}-artifact`));
      expect(envOf(artifact.containers[0], 'TSBIT_PUBLIC_URL')).toBe('https://tsbit.example.org');
      expect(envOf(artifact.containers[0], 'TSBIT_SIGNING_KEY_FILE')).toBe('/var/run/tsbit/signing/signing-key.asc');
      expect(artifact.volumes).toContainEqual({
        name: 'signing-key',
        secret: { secretName: 'tsbit-signing-key', items: [{ key: 'signing-key.asc', path: 'signing-key.asc' }], defaultMode: 0o440 },
      });
    });

    it('routes /artifacts, /repos and /logs to the artifact service, with no upload limit and unbuffered live logs', () => {
      const manifests = helmTemplate({ valuesFiles: ['examples/production.yaml'] });
      const routes = manifests
        .filter((manifest) => manifest.kind === 'Ingress')
        .flatMap((ingress) => {
          const spec = ingress.spec as { rules: { host?: string; http: { paths: { path: string; backend: { service: { name: string } } }[] } }[] };
          return spec.rules.flatMap((rule) => rule.http.paths.map((route) => ({ ingress: ingress.metadata?.name, host: rule.host, path: route.path, service: route.backend.service.name })));
        });
      expect(routes).toEqual([
        { ingress: `${RELEASE}-api`, host: 'tsbit.example.org', path: '/artifacts', service: `${RELEASE}-artifact` },
        { ingress: `${RELEASE}-api`, host: 'tsbit.example.org', path: '/repos', service: `${RELEASE}-artifact` },
        { ingress: `${RELEASE}-api`, host: 'tsbit.example.org', path: '/', service: `${RELEASE}-job-intake` },
        { ingress: `${RELEASE}-logs`, host: 'tsbit.example.org', path: '/logs', service: `${RELEASE}-artifact` },
      ]);
      expect(find(manifests, 'Ingress', `${RELEASE}-api`).metadata?.annotations).toMatchObject({
        'nginx.ingress.kubernetes.io/proxy-body-size': '0',
        'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
        'cert-manager.io/cluster-issuer': 'letsencrypt',
      });
      expect(find(manifests, 'Ingress', `${RELEASE}-logs`).metadata?.annotations).toMatchObject({
        'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
        'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
      });
    });
  });

  it("tags every tsbit image with the chart's appVersion", () => {
    const images = helmTemplate()
      .filter((manifest) => manifest.kind === 'Deployment')
      .flatMap((manifest) => [...(podSpec(manifest).initContainers ?? []), ...podSpec(manifest).containers].map((container) => container.image ?? ''))
      .filter((image) => image.startsWith('tsbit/'));
    expect(new Set(images)).toEqual(new Set(['tsbit/job-intake:0.1.0', 'tsbit/scheduler:0.1.0', 'tsbit/projection:0.1.0', 'tsbit/artifact:0.1.0', 'tsbit/builder:0.1.0']));
  });
});
