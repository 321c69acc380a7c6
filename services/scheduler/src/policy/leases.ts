/** Lease checks per heartbeat interval. */
export const LEASE_CHECKS_PER_HEARTBEAT = 4;
/** A builder is given this many heartbeat intervals, less the margin below, to be heard from. */
const LEASE_HEARTBEATS = 2;
/** Check intervals kept back from the lease: one for the check's own period, one for the heartbeat's delivery. */
const MARGIN_CHECKS = 2;

export interface LeaseTiming {
  /** How long a lease lasts after its last renewal. */
  leaseMs: number;
  /** How often leases are checked. */
  checkEveryMs: number;
}

/**
 * A lease lasts 2 heartbeats less two check intervals (1.5 heartbeats) and is checked every
 * quarter heartbeat, so a build whose builder went silent leaves Building at most 1.75
 * heartbeats after the builder's last heartbeat, inside the promised 2, while a heartbeat may
 * come half an interval late without voiding a healthy build.
 */
export function leaseTiming(heartbeatMs: number): LeaseTiming {
  if (!Number.isFinite(heartbeatMs) || heartbeatMs <= 0) throw new RangeError(`heartbeatMs: must be a positive number, got ${String(heartbeatMs)}`);
  const checkEveryMs = heartbeatMs / LEASE_CHECKS_PER_HEARTBEAT;
  return { leaseMs: LEASE_HEARTBEATS * heartbeatMs - MARGIN_CHECKS * checkEveryMs, checkEveryMs };
}

export interface Lease {
  jobId: number;
  attempt: number;
  builder: string;
  expiresAt: number;
}

export interface BuildingAttempt {
  jobId: number;
  attempt: number;
  builder: string;
}

/**
 * The leases on running builds. Leases are not events (a heartbeat every few seconds per build
 * would flood the log): they live here, are renewed by heartbeats, and a restarted scheduler
 * gives every building job a fresh one. Time is passed in; nothing here reads a clock.
 */
export class LeaseBook {
  private readonly leases = new Map<number, Lease>();

  constructor(private readonly leaseMs: number) {}

  /** Starts (or restarts) the lease of an attempt that has just begun building. */
  grant(build: BuildingAttempt, now: number): void {
    this.leases.set(build.jobId, { ...build, expiresAt: now + this.leaseMs });
  }

  /**
   * Makes the leases match what builds: a build without a lease (after a restart, or one started
   * while this scheduler did not see it) gets a fresh one; a lease on what no longer builds goes.
   */
  reconcile(building: Iterable<BuildingAttempt>, now: number): void {
    const current = new Set<number>();
    for (const build of building) {
      current.add(build.jobId);
      const lease = this.leases.get(build.jobId);
      if (!lease || lease.attempt !== build.attempt || lease.builder !== build.builder) this.grant(build, now);
    }
    for (const jobId of this.leases.keys()) if (!current.has(jobId)) this.leases.delete(jobId);
  }

  /** Renews the lease of an attempt its own builder says it runs; false when there is no such lease. */
  renew(builder: string, jobId: number, attempt: number, now: number): boolean {
    const lease = this.leases.get(jobId);
    if (!lease || lease.builder !== builder || lease.attempt !== attempt) return false;
    lease.expiresAt = now + this.leaseMs;
    return true;
  }

  expired(now: number): Lease[] {
    return [...this.leases.values()].filter((lease) => lease.expiresAt <= now).map((lease) => ({ ...lease }));
  }

  /** Drops a lease once its expiry is recorded (or its build is over). */
  release(jobId: number, attempt: number): void {
    if (this.leases.get(jobId)?.attempt === attempt) this.leases.delete(jobId);
  }

  /** Drops the lease of a job that no longer builds. */
  forget(jobId: number): void {
    this.leases.delete(jobId);
  }

  get(jobId: number): Lease | undefined {
    const lease = this.leases.get(jobId);
    return lease && { ...lease };
  }

  get size(): number {
    return this.leases.size;
  }
}
