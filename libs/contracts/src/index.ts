export * from './codec';
export type * from './gen/tsbit/events/v1/job_pb';
export type * from './gen/tsbit/events/v1/artifact_pb';
export type * from './gen/tsbit/events/v1/publication_pb';
export type * from './gen/tsbit/events/v1/builder_pb';
export type * from './gen/tsbit/events/v1/catalog_pb';
export type * from './gen/tsbit/events/v1/access_pb';
export type * from './gen/tsbit/messages/v1/build_pb';
