export { startFarm, defaultStateDir, type Farm, type FarmOptions } from './farm';
export { makeDebianPackageRepository, type PackageRepository } from './fixtures';
export { startTestFarm, isFinished, type TestFarm, type JobView, type JobRequest } from './testing';
