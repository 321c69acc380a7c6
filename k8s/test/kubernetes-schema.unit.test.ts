import { kubernetesErrors, type Manifest } from './kubernetes-schema';

const deployment = (): Manifest => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web' },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }], securityContext: { capabilities: { drop: ['ALL'] } } }],
      },
    },
  },
});

describe('the Kubernetes 1.31 check of a manifest', () => {
  it('accepts a valid object', () => {
    expect(kubernetesErrors(deployment())).toEqual([]);
  });

  it('refuses a field that does not exist, or not at that place', () => {
    const manifest = deployment();
    (manifest.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0]!.nodeSelector = { a: 'b' };
    expect(kubernetesErrors(manifest)).toEqual(['Deployment web.spec.template.spec.containers[0].nodeSelector: no such field in Kubernetes 1.31.0']);
  });

  it('refuses an object without a required field', () => {
    const manifest = deployment();
    delete (manifest.spec as Record<string, unknown>).selector;
    expect(kubernetesErrors(manifest)).toContain('Deployment web.spec.selector: required');
  });

  it('refuses a value of the wrong type', () => {
    const manifest = deployment();
    (manifest.spec as Record<string, unknown>).replicas = 'two';
    expect(kubernetesErrors(manifest)).toContain('Deployment web.spec.replicas: expected a number, got "two"');
  });

  it('refuses a value outside an enumeration (from the OpenAPI schema)', () => {
    const manifest = deployment();
    (manifest.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec.containers[0]!.securityContext = { seccompProfile: { type: 'Unconfinde' } };
    expect(kubernetesErrors(manifest).join('\n')).toMatch(/seccompProfile\/type must be equal to one of the allowed values/);
  });

  it('refuses a kind that 1.31 does not serve', () => {
    expect(kubernetesErrors({ apiVersion: 'extensions/v1beta1', kind: 'Ingress', metadata: { name: 'old' } })).toEqual([
      'Ingress old: extensions/v1beta1/Ingress is not a kind of Kubernetes 1.31.0',
    ]);
  });
});
