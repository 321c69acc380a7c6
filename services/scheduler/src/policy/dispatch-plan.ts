import { pickNextJobs, type PendingJob } from '@tsbit/domain';

/** What one live, unpaused builder can take now. */
export interface SlotOffer {
  builder: string;
  /** Slots not taken by its builds or by requests dispatched for it. */
  free: number;
  /** Routing keys (`<format>.<suite>.<arch>`) it serves. */
  keys: readonly string[];
}

export interface Assignment {
  jobId: number;
  routingKey: string;
  /** The builder whose slot the job is counted against until some builder starts it. */
  builder: string;
}

interface Group {
  signature: string;
  keys: string[];
  builders: { builder: string; free: number }[];
}

/**
 * Which pending jobs go out now, and against whose slot each is counted. Builders that serve the
 * same keys share one fair choice (`pickNextJobs`: priority, then the project with the fewest
 * builds running, then the one served least, then first come first served); builders that serve
 * fewer keys choose first, so that a builder serving more keys is left the jobs only it can take.
 * `runningByProject` counts what is queued or building; nothing here mutates its inputs.
 */
export function planDispatch(
  offers: readonly SlotOffer[],
  pendingByKey: ReadonlyMap<string, readonly PendingJob[]>,
  runningByProject: ReadonlyMap<string, number>,
  servedByProject: ReadonlyMap<string, number>,
): Assignment[] {
  const groups = new Map<string, Group>();
  for (const offer of offers) {
    if (offer.free <= 0) continue;
    const keys = [...new Set(offer.keys)].filter((key) => (pendingByKey.get(key)?.length ?? 0) > 0).sort();
    if (keys.length === 0) continue;
    const signature = keys.join(' ');
    const group = groups.get(signature) ?? { signature, keys, builders: [] };
    group.builders.push({ builder: offer.builder, free: offer.free });
    groups.set(signature, group);
  }
  const ordered = [...groups.values()].sort((a, b) => a.keys.length - b.keys.length || (a.signature < b.signature ? -1 : 1));

  const running = new Map(runningByProject);
  const served = new Map(servedByProject);
  const taken = new Set<number>();
  const assignments: Assignment[] = [];
  for (const group of ordered) {
    const keyOf = new Map<number, string>();
    const candidates: PendingJob[] = [];
    for (const key of group.keys) {
      for (const job of pendingByKey.get(key) ?? []) {
        if (taken.has(job.jobId) || keyOf.has(job.jobId)) continue;
        candidates.push(job);
        keyOf.set(job.jobId, key);
      }
    }
    const slots = group.builders.map((builder) => ({ ...builder }));
    const free = slots.reduce((sum, slot) => sum + slot.free, 0);
    // One slot of each builder in turn, so that work spreads over the group.
    let turn = 0;
    for (const job of pickNextJobs(candidates, free, running, served)) {
      let slot = slots[turn % slots.length];
      while (slot && slot.free <= 0) {
        turn += 1;
        slot = slots[turn % slots.length];
      }
      if (!slot) break;
      slot.free -= 1;
      turn += 1;
      taken.add(job.jobId);
      running.set(job.project, (running.get(job.project) ?? 0) + 1);
      served.set(job.project, (served.get(job.project) ?? 0) + 1);
      assignments.push({ jobId: job.jobId, routingKey: keyOf.get(job.jobId) ?? '', builder: slot.builder });
    }
  }
  return assignments;
}
