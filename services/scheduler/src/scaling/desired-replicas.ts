/** A builder pool as its Deployment describes it (labels and annotations of k8s/ and charts/). */
export interface BuilderPool {
  name: string;
  arches: string[];
  replicas: number;
  minReplicas: number;
  maxReplicas: number;
  slotsPerReplica: number;
}

/**
 * How many builders a pool should run: enough slots for every job of its architectures that
 * waits or builds, within the pool's bounds. Pools never shrink below what is building, so a
 * scale-down does not take a running build's pod away first.
 */
export function desiredReplicas(pool: BuilderPool, work: { waiting: number; building: number }): number {
  const needed = Math.ceil((work.waiting + work.building) / Math.max(1, pool.slotsPerReplica));
  const floor = Math.max(pool.minReplicas, Math.ceil(work.building / Math.max(1, pool.slotsPerReplica)));
  return Math.min(pool.maxReplicas, Math.max(floor, needed));
}
