import { desiredReplicas, type BuilderPool } from './desired-replicas';

const pool: BuilderPool = { name: 'arm64', arches: ['arm64'], replicas: 1, minReplicas: 0, maxReplicas: 4, slotsPerReplica: 2 };

describe('sizing a builder pool', () => {
  it('runs enough builders for what waits and builds', () => expect(desiredReplicas(pool, { waiting: 3, building: 2 })).toBe(3));
  it('stays within its maximum under a mass rebuild', () => expect(desiredReplicas(pool, { waiting: 5000, building: 8 })).toBe(4));
  it('goes down to its minimum when idle', () => expect(desiredReplicas({ ...pool, minReplicas: 1 }, { waiting: 0, building: 0 })).toBe(1));
  it('scales to zero when idle with a minimum of zero', () => expect(desiredReplicas(pool, { waiting: 0, building: 0 })).toBe(0));
});
