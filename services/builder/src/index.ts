export { createBuilder, type Builder, type BuilderBroker, type BuilderDeps } from './app';
export { createApiClient, ApiRejected, ApiUnavailable, type ApiClient, type JobState } from './api-client';
export { configSchema, detectDefaults, resolveBuilderSettings, type BuilderSettings, type Config } from './config';
export { runBuild, type BuildOutcome } from './build-runner';
