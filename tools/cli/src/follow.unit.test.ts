import { ApiProblem, type JobSummary } from './api-client';
import { exitCodeOf, followJobs, NOT_YET_PROJECTED_MS, POLL_INTERVAL_MS } from './follow';

const job = (id: number, status: string, message?: string): JobSummary =>
  ({ id, suite: 'bookworm', arch: 'amd64', status, attempt: 1, reason: message ? { code: 'x', message, jobIds: [] } : null }) as JobSummary;

/**
 * Given what the API answers for each job at each poll, when the jobs are followed: a fake clock
 * moves by each sleep, so no test waits.
 */
async function following(start: JobSummary[], answers: Record<number, (JobSummary | ApiProblem)[]>) {
  let clock = 0;
  const printed: string[] = [];
  const finished = await followJobs(start, {
    fetchJob: async (id) => {
      const answer = answers[id]!.shift() ?? job(id, 'Nothing left to answer');
      if (answer instanceof ApiProblem) throw answer;
      return answer;
    },
    sleep: async (ms) => {
      clock += ms;
    },
    now: () => clock,
    onChange: (changed) => printed.push(`${changed.id} ${changed.status}${changed.reason ? ` ${changed.reason.message}` : ''}`),
  });
  return { finished, printed, elapsedMs: clock };
}

describe('following jobs', () => {
  it('given polls that repeat a state, then each change is printed once, the start included', async () => {
    const { printed, finished } = await following([job(1, 'Waiting', '2nd in the queue')], {
      1: [job(1, 'Waiting', '2nd in the queue'), job(1, 'Waiting', '1st in the queue'), job(1, 'Building'), job(1, 'Building'), job(1, 'Done')],
    });
    expect(printed).toEqual(['1 Waiting 2nd in the queue', '1 Waiting 1st in the queue', '1 Building', '1 Done']);
    expect(exitCodeOf(finished)).toBe(0);
  });

  it('given several jobs, then a finished one is asked no more and the exit code fails unless all are Done', async () => {
    const { printed, finished } = await following([job(1, 'Waiting'), job(2, 'Waiting')], {
      1: [job(1, 'Done')],
      2: [job(2, 'Building'), job(2, 'Failed', 'package failure')],
    });
    expect(printed).toEqual(['1 Waiting', '2 Waiting', '1 Done', '2 Building', '2 Failed package failure']);
    expect(finished.map((found) => found.status)).toEqual(['Done', 'Failed']);
    expect(exitCodeOf(finished)).toBe(1);
  });

  it('given a job already finished, then nothing is polled', async () => {
    const { printed, elapsedMs } = await following([job(1, 'Cancelled')], { 1: [] });
    expect(printed).toEqual(['1 Cancelled']);
    expect(elapsedMs).toBe(0);
  });

  it('given a job not projected yet, then a 404 is waited out', async () => {
    const { printed } = await following([job(1, 'Waiting')], { 1: [new ApiProblem(404, 'no job 1'), job(1, 'Done')] });
    expect(printed).toEqual(['1 Waiting', '1 Done']);
  });

  it('given a job still missing after the grace period, then the 404 is the answer', async () => {
    const polls = NOT_YET_PROJECTED_MS / POLL_INTERVAL_MS + 1;
    const missing = Array.from({ length: polls }, () => new ApiProblem(404, 'no job 1'));
    await expect(following([job(1, 'Waiting')], { 1: missing })).rejects.toMatchObject({ status: 404 });
  });

  it('given any other problem, then it is the answer at once', async () => {
    await expect(following([job(1, 'Waiting')], { 1: [new ApiProblem(401, 'wrong token')] })).rejects.toMatchObject({ status: 401 });
  });
});
