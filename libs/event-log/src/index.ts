export * from './port';
export * from './factory';
export * from './command-handler';
export { PostgresEventLog, type PostgresEventLogOptions } from './postgres/postgres-event-log';
export { EventStoreDbEventLog } from './eventstoredb/eventstoredb-event-log';
export { eventLogContract, type ContractSubject } from './contract/event-log.contract';
