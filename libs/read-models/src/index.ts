export * from './schema';
export * from './projector';
export * from './queries';
export { evolveJob, historyEntry, type JobRow, type JobHistoryRow } from './jobs/projection';
export { evolveBuilders, type BuilderRow } from './builders/projection';
export { compareBuilds, rebuildCheckStatus, type BuildComparison, type BuiltFile, type ComparedInput, type RebuildCheckStatus, type RebuiltFile } from './jobs/rebuild-check';
