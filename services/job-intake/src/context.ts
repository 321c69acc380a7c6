import type { Catalog } from '@tsbit/domain';
import type { EventLog, FollowedStream } from '@tsbit/event-log';
import type { ReadModels } from '@tsbit/read-models';
import type { RepositoryHook } from './routes/hooks/config';

/** What every route module is built from: the farm's state and the service's settings. */
export interface JobIntakeContext {
  log: EventLog;
  readModels: ReadModels;
  catalog: FollowedStream<Catalog>;
  clock: () => Date;
  hooks: RepositoryHook[];
}
