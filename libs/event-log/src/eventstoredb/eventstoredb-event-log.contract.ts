import { eventLogContract } from '../contract/event-log.contract';
import { EventStoreDbEventLog } from './eventstoredb-event-log';

// Run with `npx nx run event-log:contract-eventstoredb` against a real server: there is none on
// the development machine, so this file is not part of `npm test`.
const url = process.env.TSBIT_EVENTSTOREDB_URL;
if (!url) throw new Error('TSBIT_EVENTSTOREDB_URL must name an EventStoreDB server, e.g. esdb://localhost:2113?tls=false');

eventLogContract('EventStoreDB', async () => {
  const log = await EventStoreDbEventLog.create({ connectionString: url });
  return { log, cleanup: () => log.close() };
});
