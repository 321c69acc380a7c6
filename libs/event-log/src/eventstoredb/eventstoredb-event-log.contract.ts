import { eventLogContract } from '../contract/event-log.contract';
import { EventStoreDbEventLog } from './eventstoredb-event-log';

// The contract against a real EventStoreDB server (22.6 or later). There is none on the
// development machine, so this file is deliberately not named *.test.ts and stays out of the
// default test run; run it with `npx nx run event-log:contract-eventstoredb`. Streams get a random
// prefix per run, so the server need not be empty.
const url = process.env.TSBIT_EVENTSTOREDB_URL;
if (!url) throw new Error('TSBIT_EVENTSTOREDB_URL must name an EventStoreDB server, e.g. esdb://localhost:2113?tls=false');

eventLogContract('EventStoreDB', async () => {
  const log = await EventStoreDbEventLog.create({ connectionString: url });
  return { log, cleanup: () => log.close() };
});
