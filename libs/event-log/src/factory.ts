import type { EventLog } from './port';
import { PostgresEventLog } from './postgres/postgres-event-log';
import { EventStoreDbEventLog } from './eventstoredb/eventstoredb-event-log';

export interface EventLogConfig {
  kind: 'postgres' | 'eventstoredb';
  databaseUrl: string;
  schema: string;
  eventStoreDbUrl?: string;
}

/** The log a service's configuration names: PostgreSQL by default, EventStoreDB for clusters. */
export async function createEventLog(config: EventLogConfig): Promise<EventLog> {
  if (config.kind === 'eventstoredb') {
    if (!config.eventStoreDbUrl) throw new Error('TSBIT_EVENTSTOREDB_URL is required when TSBIT_EVENT_LOG=eventstoredb');
    return EventStoreDbEventLog.create({ connectionString: config.eventStoreDbUrl });
  }
  return PostgresEventLog.create({ connectionString: config.databaseUrl, schema: config.schema });
}
