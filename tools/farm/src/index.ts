export { startFarm, defaultStateDir, type Farm, type FarmOptions } from './farm';
export { makeDebianPackageRepository, type PackageRepository } from './fixtures';
