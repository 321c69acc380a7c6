import type { EventLog } from '@tsbit/event-log';
import type { ReadModels } from '@tsbit/read-models';
import type { CatalogCache } from './catalog-cache';
import type { RepositoryHook } from './routes/hooks/config';

/** What every route module is built from: the farm's state and the service's settings. */
export interface JobIntakeContext {
  log: EventLog;
  readModels: ReadModels;
  catalog: CatalogCache;
  clock: () => Date;
  hooks: RepositoryHook[];
}
