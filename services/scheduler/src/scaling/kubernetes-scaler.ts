import type { Logger } from 'pino';
import { desiredReplicas, type BuilderPool } from './desired-replicas';

const POOL_LABEL = 'tsbit.dev/builder-pool';

/**
 * Scales the builder pools' Deployments (labelled tsbit.dev/builder-pool, with the arches they
 * build and their bounds in annotations) to the work waiting for them, through the Kubernetes
 * API with the scheduler's service account. There is no API server on the development machine:
 * the sizing is unit-tested, this adapter is not.
 */
export async function createKubernetesScaler(options: { namespace: string; slotsPerReplica: number; logger: Pick<Logger, 'info' | 'warn'> }) {
  // @kubernetes/client-node is an ES module; loaded only where a cluster is configured.
  const k8s = await import('@kubernetes/client-node');
  const config = new k8s.KubeConfig();
  config.loadFromDefault();
  const apps = config.makeApiClient(k8s.AppsV1Api);

  const pools = async (): Promise<BuilderPool[]> => {
    const list = await apps.listNamespacedDeployment({ namespace: options.namespace, labelSelector: POOL_LABEL });
    return list.items.map((deployment) => {
      const annotations = deployment.metadata?.annotations ?? {};
      return {
        name: deployment.metadata?.name ?? '',
        arches: (annotations['tsbit.dev/routing-arches'] ?? '').split(',').filter(Boolean),
        replicas: deployment.spec?.replicas ?? 0,
        minReplicas: Number(annotations['tsbit.dev/min-replicas'] ?? 0),
        maxReplicas: Number(annotations['tsbit.dev/max-replicas'] ?? deployment.spec?.replicas ?? 1),
        slotsPerReplica: options.slotsPerReplica,
      };
    });
  };

  return {
    /** Sets each pool's replicas from the work per architecture. */
    async scale(workByArch: Map<string, { waiting: number; building: number }>): Promise<void> {
      for (const pool of await pools()) {
        const work = pool.arches.reduce(
          (sum, arch) => {
            const forArch = workByArch.get(arch) ?? { waiting: 0, building: 0 };
            return { waiting: sum.waiting + forArch.waiting, building: sum.building + forArch.building };
          },
          { waiting: 0, building: 0 },
        );
        const replicas = desiredReplicas(pool, work);
        if (replicas === pool.replicas) continue;
        options.logger.info({ pool: pool.name, from: pool.replicas, to: replicas, ...work }, 'scaling builder pool');
        await apps.patchNamespacedDeploymentScale({ name: pool.name, namespace: options.namespace, body: [{ op: 'replace', path: '/spec/replicas', value: replicas }] });
      }
    },
  };
}
