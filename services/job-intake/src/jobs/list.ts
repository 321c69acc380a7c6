import type { JobListQuery, ReadModels } from '@tsbit/read-models';
import { badRequest } from '@tsbit/service-kit';

/** A page of jobs; a cursor the read model did not hand out is the caller's mistake (400). */
export async function listJobs(readModels: ReadModels, query: JobListQuery) {
  try {
    return await readModels.jobs.list(query);
  } catch (error) {
    if (error instanceof RangeError) throw badRequest(error.message, 'cursor');
    throw error;
  }
}
