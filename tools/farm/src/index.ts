export { startFarm, defaultStateDir, type Farm, type FarmOptions } from './farm';
export { makeDebianPackageRepository, makeRpmPackageRepository, type PackageRepository } from './fixtures';
export { startTestFarm, isFinished, type TestFarm, type JobView, type JobRequest } from './testing';
export { lookUpUser, DEFAULT_BUILD_USER, type BuildUser } from './build-user';
