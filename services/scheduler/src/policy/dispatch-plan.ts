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
 *
 * `avoidedBuilder` names, for a rebuild check, the builder that built the original: the check is
 * counted only against a free slot of another builder of its group, and left waiting while no
 * other builder has one (`rebuildCheckCanGo`).
 */
export function planDispatch(
  offers: readonly SlotOffer[],
  pendingByKey: ReadonlyMap<string, readonly PendingJob[]>,
  runningByProject: ReadonlyMap<string, number>,
  servedByProject: ReadonlyMap<string, number>,
  avoidedBuilder: ReadonlyMap<number, string> = new Map(),
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
    // One slot of each builder in turn, so that work spreads over the group.
    let turn = 0;
    let waiting = candidates;
    // A rebuild check that only its avoided builder has room for is passed over and the slot
    // offered again to the rest: each round assigns every pick or drops one, so this ends.
    for (;;) {
      const free = slots.reduce((sum, slot) => sum + slot.free, 0);
      const picked = pickNextJobs(waiting, free, running, served);
      if (picked.length === 0) break;
      const passedOver = new Set<number>();
      for (const job of picked) {
        const slot = nextSlot(slots, turn, avoidedBuilder.get(job.jobId));
        if (!slot) {
          passedOver.add(job.jobId);
          continue;
        }
        slot.slot.free -= 1;
        turn = slot.turn + 1;
        taken.add(job.jobId);
        running.set(job.project, (running.get(job.project) ?? 0) + 1);
        served.set(job.project, (served.get(job.project) ?? 0) + 1);
        assignments.push({ jobId: job.jobId, routingKey: keyOf.get(job.jobId) ?? '', builder: slot.slot.builder });
      }
      if (passedOver.size === 0) break;
      waiting = waiting.filter((job) => !taken.has(job.jobId) && !passedOver.has(job.jobId));
    }
  }
  return assignments;
}

/** The next builder in turn with a free slot that is not the one to avoid. */
function nextSlot(slots: { builder: string; free: number }[], turn: number, avoid: string | undefined): { slot: { builder: string; free: number }; turn: number } | undefined {
  for (let step = 0; step < slots.length; step += 1) {
    const slot = slots[(turn + step) % slots.length];
    if (slot && slot.free > 0 && slot.builder !== avoid) return { slot, turn: turn + step };
  }
  return undefined;
}

/**
 * A rebuild check must be built by another builder than its original: it may be dispatched only
 * while a live, unpaused builder other than `avoid` serves its routing key. Builders share their
 * queues, so the one to avoid hands such a request back; with no other builder it would never be
 * taken, and it is not sent.
 */
export function rebuildCheckCanGo(avoid: string, liveBuildersServingKey: readonly string[]): boolean {
  return avoid === '' || liveBuildersServingKey.some((builder) => builder !== avoid);
}
