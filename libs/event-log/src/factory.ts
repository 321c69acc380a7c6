import type { EventLog } from './port';
import { PostgresEventLog } from './postgres/postgres-event-log';
import { EventStoreDbEventLog } from './eventstoredb/eventstoredb-event-log';

export interface EventLogConfig {
  /** TSBIT_EVENT_LOG */
  kind: 'postgres' | 'eventstoredb';
  /** TSBIT_DATABASE_URL, for the PostgreSQL log. */
  databaseUrl: string;
  /** TSBIT_PG_SCHEMA, for the PostgreSQL log. */
  schema: string;
  /** TSBIT_EVENTSTOREDB_URL, required for the EventStoreDB log. */
  eventStoreDbUrl?: string;
}

/** The log a service's configuration names: PostgreSQL by default, EventStoreDB for clusters. */
export async function createEventLog(config: EventLogConfig): Promise<EventLog> {
  switch (config.kind) {
    case 'postgres':
      return PostgresEventLog.create({ connectionString: config.databaseUrl, schema: config.schema });
    case 'eventstoredb':
      if (!config.eventStoreDbUrl) throw new TypeError("eventStoreDbUrl (TSBIT_EVENTSTOREDB_URL) is required when kind (TSBIT_EVENT_LOG) is 'eventstoredb'");
      return EventStoreDbEventLog.create({ connectionString: config.eventStoreDbUrl });
    default:
      throw new RangeError(`kind (TSBIT_EVENT_LOG) must be 'postgres' or 'eventstoredb', got '${String((config as { kind: unknown }).kind)}'`);
  }
}
