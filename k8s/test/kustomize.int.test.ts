import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

interface Manifest {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: {
    replicas?: number;
    template?: {
      spec: {
        nodeSelector?: Record<string, string>;
        containers: { env?: { name: string; value?: string }[]; readinessProbe?: unknown; livenessProbe?: unknown }[];
      };
    };
  };
  data?: Record<string, string>;
}

const overlay = (name: string): Manifest[] =>
  parseAllDocuments(execFileSync('kubectl', ['kustomize', path.join(__dirname, '..', 'overlays', name)], { encoding: 'utf8' })).map(
    (document) => document.toJS() as Manifest,
  );

const deployment = (manifests: Manifest[], name: string): Manifest => {
  const found = manifests.find((manifest) => manifest.kind === 'Deployment' && manifest.metadata.name === name);
  if (!found) throw new Error(`no Deployment ${name}`);
  return found;
};

describe('the Kubernetes manifests, as kubectl kustomize renders them', () => {
  it.each(['dev', 'production'])('the %s overlay has every service, probed for health and readiness', (name) => {
    const manifests = overlay(name);
    for (const service of ['job-intake', 'scheduler', 'projection', 'artifact', 'builder-amd64', 'builder-arm64', 'builder-i386']) {
      const container = deployment(manifests, service).spec?.template?.spec.containers[0];
      expect(container?.readinessProbe).toBeDefined();
      expect(container?.livenessProbe).toBeDefined();
    }
    expect(manifests.every((manifest) => manifest.kind === 'Namespace' || manifest.metadata.namespace === 'tsbit')).toBe(true);
  });

  it('pins each builder pool to nodes of its architecture', () => {
    const manifests = overlay('production');
    const selector = (pool: string) => deployment(manifests, `builder-${pool}`).spec?.template?.spec.nodeSelector;
    expect(selector('amd64')).toEqual({ 'kubernetes.io/arch': 'amd64' });
    expect(selector('arm64')).toEqual({ 'kubernetes.io/arch': 'arm64' });
    expect(selector('i386')).toEqual({ 'kubernetes.io/arch': 'amd64', 'tsbit.dev/i386-capable': 'true' });
    const arches = (pool: string) =>
      deployment(manifests, `builder-${pool}`).spec?.template?.spec.containers[0]?.env?.find((env) => env.name === 'TSBIT_BUILDER_ARCHES')?.value;
    expect([arches('amd64'), arches('arm64'), arches('i386')]).toEqual(['amd64', 'arm64', 'i386']);
  });

  it('lets the scheduler size each pool between the bounds its annotations give', () => {
    const manifests = overlay('production');
    const scheduler = deployment(manifests, 'scheduler').spec?.template?.spec.containers[0]?.env?.find((env) => env.name === 'TSBIT_SCALE_BUILDER_POOLS');
    expect(scheduler?.value).toBe('true');
    const pool = manifests.find((manifest) => manifest.metadata.name === 'builder-arm64') as Manifest & { metadata: { annotations?: Record<string, string> } };
    expect(pool.metadata.annotations).toMatchObject({ 'tsbit.dev/routing-arches': 'arm64', 'tsbit.dev/min-replicas': '0', 'tsbit.dev/max-replicas': '4' });
    expect(manifests.some((manifest) => manifest.kind === 'Role' && manifest.metadata.name === 'tsbit-scheduler')).toBe(true);
  });

  it('runs the dev overlay small and the production overlay on EventStoreDB', () => {
    const dev = overlay('dev');
    expect(deployment(dev, 'builder-arm64').spec?.replicas).toBe(0);
    expect(deployment(dev, 'job-intake').spec?.replicas).toBe(1);
    const config = overlay('production').find((manifest) => manifest.kind === 'ConfigMap');
    expect(config?.data?.TSBIT_EVENT_LOG).toBe('eventstoredb');
    expect(config?.data?.TSBIT_EVENTSTOREDB_URL).toMatch(/^esdb:\/\//);
  });
});
