import { catalogDecider, catalogStreamId, deserializeEvent, type Catalog, type CatalogEvent } from '@tsbit/domain';
import type { EventLog } from '@tsbit/event-log';

/**
 * The catalogue, folded from its stream. It is small and read on every submission, so it is kept
 * in memory and only the events appended since the last read are fetched.
 */
export function createCatalogCache(log: EventLog): { get(): Promise<Catalog> } {
  let catalog = catalogDecider.initialState();
  let version = -1;
  let reading: Promise<Catalog> | undefined;
  const refresh = async (): Promise<Catalog> => {
    for (const recorded of await log.readStream(catalogStreamId, version + 1)) {
      catalog = catalogDecider.evolve(catalog, deserializeEvent(recorded.type, recorded.data) as CatalogEvent);
      version = recorded.version;
    }
    return catalog;
  };
  return {
    get() {
      reading ??= refresh().finally(() => {
        reading = undefined;
      });
      return reading;
    },
  };
}
