export * from './port';
export { createEventLog, type EventLogConfig } from './factory';
export { followStream, type FollowedStream } from './followed-stream';
export { handleCommand, type HandleCommandOptions, type HandledCommand } from './command-handler';
export { PostgresEventLog, type PostgresEventLogOptions } from './postgres/postgres-event-log';
export { EventStoreDbEventLog } from './eventstoredb/eventstoredb-event-log';
export { eventLogContract, type ContractSubject } from './contract/event-log.contract';
