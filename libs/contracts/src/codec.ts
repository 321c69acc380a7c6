import { create, fromJson, toJson, type DescMessage, type JsonValue } from '@bufbuild/protobuf';
import {
  ArtifactStoredSchema,
} from './gen/tsbit/events/v1/artifact_pb';
import { TokenIssuedSchema, TokenRevokedSchema } from './gen/tsbit/events/v1/access_pb';
import {
  BuilderLostSchema,
  BuilderPausedSchema,
  BuilderRegisteredSchema,
  BuilderResumedSchema,
  BuilderRetiredSchema,
} from './gen/tsbit/events/v1/builder_pb';
import {
  BlacklistRuleAddedSchema,
  BlacklistRuleRemovedSchema,
  CatalogEntryAddedSchema,
  CatalogEntryRemovedSchema,
  SuiteDefinedSchema,
  SuiteRemovedSchema,
} from './gen/tsbit/events/v1/catalog_pb';
import {
  BuildFailedSchema,
  BuildStartedSchema,
  BuildSucceededSchema,
  JobBlockedSchema,
  JobCancelledSchema,
  JobCancelRequestedSchema,
  JobDeletedSchema,
  JobQueuedSchema,
  JobRetriedSchema,
  JobSubmittedSchema,
  LeaseExpiredSchema,
} from './gen/tsbit/events/v1/job_pb';
import { PackagePublishedSchema } from './gen/tsbit/events/v1/publication_pb';
import { BuilderControlSchema, BuilderReportSchema, BuildRequestSchema } from './gen/tsbit/messages/v1/build_pb';

/** Every event type of tsbit.events.v1, by the name it carries on the log and on the wire. */
export const eventSchemas = {
  JobSubmitted: JobSubmittedSchema,
  JobBlocked: JobBlockedSchema,
  JobQueued: JobQueuedSchema,
  BuildStarted: BuildStartedSchema,
  BuildSucceeded: BuildSucceededSchema,
  BuildFailed: BuildFailedSchema,
  LeaseExpired: LeaseExpiredSchema,
  JobCancelRequested: JobCancelRequestedSchema,
  JobCancelled: JobCancelledSchema,
  JobRetried: JobRetriedSchema,
  JobDeleted: JobDeletedSchema,
  ArtifactStored: ArtifactStoredSchema,
  PackagePublished: PackagePublishedSchema,
  BuilderRegistered: BuilderRegisteredSchema,
  BuilderLost: BuilderLostSchema,
  BuilderPaused: BuilderPausedSchema,
  BuilderResumed: BuilderResumedSchema,
  BuilderRetired: BuilderRetiredSchema,
  CatalogEntryAdded: CatalogEntryAddedSchema,
  CatalogEntryRemoved: CatalogEntryRemovedSchema,
  SuiteDefined: SuiteDefinedSchema,
  SuiteRemoved: SuiteRemovedSchema,
  BlacklistRuleAdded: BlacklistRuleAddedSchema,
  BlacklistRuleRemoved: BlacklistRuleRemovedSchema,
  TokenIssued: TokenIssuedSchema,
  TokenRevoked: TokenRevokedSchema,
} as const satisfies Record<string, DescMessage>;

export type EventTypeName = keyof typeof eventSchemas;

/** Messages exchanged with builders over RabbitMQ (tsbit.messages.v1). */
export const messageSchemas = {
  BuildRequest: BuildRequestSchema,
  BuilderReport: BuilderReportSchema,
  BuilderControl: BuilderControlSchema,
} as const satisfies Record<string, DescMessage>;

export type MessageTypeName = keyof typeof messageSchemas;

export type JsonObject = { [key: string]: JsonValue };

export class ContractViolation extends Error {
  constructor(
    readonly typeName: string,
    detail: string,
  ) {
    super(`${typeName}: ${detail}`);
    this.name = 'ContractViolation';
  }
}

export function isEventTypeName(name: string): name is EventTypeName {
  return Object.hasOwn(eventSchemas, name);
}

/**
 * Checks `data` against the contract of `typeName` and returns its canonical proto3 JSON form.
 * Fields at their default value are kept (alwaysEmitImplicit) so that events stay readable in
 * RabbitMQ's and EventStoreDB's consoles. Unknown fields are refused when writing and ignored
 * when reading, so that older readers accept events from newer writers.
 */
export function canonicalEvent(typeName: string, data: unknown, mode: 'write' | 'read' = 'write'): JsonObject {
  if (!isEventTypeName(typeName)) throw new ContractViolation(typeName, 'not an event type of tsbit.events.v1');
  return canonical(eventSchemas[typeName], typeName, data, mode);
}

export function canonicalMessage(typeName: MessageTypeName, data: unknown, mode: 'write' | 'read' = 'write'): JsonObject {
  return canonical(messageSchemas[typeName], typeName, data, mode);
}

function canonical(schema: DescMessage, typeName: string, data: unknown, mode: 'write' | 'read'): JsonObject {
  try {
    const message = data === undefined ? create(schema) : fromJson(schema, data as JsonValue, { ignoreUnknownFields: mode === 'read' });
    return toJson(schema, message, { alwaysEmitImplicit: true }) as JsonObject;
  } catch (error) {
    throw new ContractViolation(typeName, (error as Error).message);
  }
}
