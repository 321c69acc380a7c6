/** A job waiting for a build slot, as the scheduler's dispatch queue holds it. */
export interface PendingJob {
  jobId: number;
  priority: number;
  project: string;
  /** Order of arrival in the queue; lower came first. */
  sequence: number;
}

/**
 * Chooses which pending jobs get the free slots. Higher priority first; within a priority, the
 * project with the fewest builds running (counting the ones picked in this round) goes next, so
 * that one project's mass rebuild shares the farm instead of owning it; then the project served
 * least so far (round-robin); then first come, first served. An urgent job waits for at most one
 * slot to free, whatever is queued ahead of it.
 */
export function pickNextJobs(
  pending: readonly PendingJob[],
  freeSlots: number,
  runningByProject: ReadonlyMap<string, number>,
  servedByProject: ReadonlyMap<string, number> = new Map(),
): PendingJob[] {
  if (freeSlots <= 0 || pending.length === 0) return [];
  // Per project, its jobs in the order they should go: priority, then arrival.
  const byProject = new Map<string, PendingJob[]>();
  for (const job of pending) {
    const queue = byProject.get(job.project) ?? [];
    queue.push(job);
    byProject.set(job.project, queue);
  }
  for (const queue of byProject.values()) queue.sort((a, b) => b.priority - a.priority || a.sequence - b.sequence);
  const running = new Map(runningByProject);
  const served = new Map(servedByProject);
  const rank = (project: string, head: PendingJob): [number, number, number, number] => [-head.priority, running.get(project) ?? 0, served.get(project) ?? 0, head.sequence];
  const before = (a: number[], b: number[]): boolean => {
    for (let index = 0; index < a.length; index += 1) if (a[index] !== b[index]) return (a[index] as number) < (b[index] as number);
    return false;
  };
  const picked: PendingJob[] = [];
  while (picked.length < freeSlots) {
    let best: PendingJob | undefined;
    for (const [project, queue] of byProject) {
      const head = queue[0];
      if (head && (!best || before(rank(project, head), rank(best.project, best)))) best = head;
    }
    if (!best) break;
    byProject.get(best.project)?.shift();
    running.set(best.project, (running.get(best.project) ?? 0) + 1);
    served.set(best.project, (served.get(best.project) ?? 0) + 1);
    picked.push(best);
  }
  return picked;
}
