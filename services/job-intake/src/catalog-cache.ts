import { catalogDecider, catalogStreamId, deserializeEvent, type Catalog, type CatalogEvent } from '@tsbit/domain';
import type { EventLog } from '@tsbit/event-log';

export interface CatalogCache {
  /** The catalogue as of this call: every catalogue event appended before it is folded in. */
  get(): Promise<Catalog>;
}

/**
 * The catalogue, folded from the 'catalog' stream with the catalogue decider's evolve. It is small
 * and read on every submission, so it stays in memory; each read fetches only the events after the
 * version folded so far (usually none, one indexed query). Reads are chained, so a read that
 * starts after a change (ours or another replica's) always sees it.
 */
export function createCatalogCache(log: EventLog): CatalogCache {
  let catalog = catalogDecider.initialState();
  let version = -1;
  let last: Promise<Catalog> = Promise.resolve(catalog);
  const refresh = async (): Promise<Catalog> => {
    for (const recorded of await log.readStream(catalogStreamId, version + 1)) {
      catalog = catalogDecider.evolve(catalog, deserializeEvent(recorded.type, recorded.data) as CatalogEvent);
      version = recorded.version;
    }
    return catalog;
  };
  return {
    get() {
      last = last.then(refresh, refresh);
      return last;
    },
  };
}
