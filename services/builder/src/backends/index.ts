import type { BackendName, PackageFormat } from '../config';
import type { Backend } from './backend';
import { nativeDebBackend } from './native-deb';
import { rpmBackend } from './rpm';
import { sbuildBackend, type SbuildOptions } from './sbuild';

export type { Backend, BackendResult } from './backend';
export { dpkgBuildpackageCommand, hasArchDependentPackages, nativeDebBackend, refuseArchAllOnly, requireHostArchitecture } from './native-deb';
export { farmRepository, farmRepositoryLine, sbuildBackend, sbuildCommand, type ExtraRepository, type SbuildOptions } from './sbuild';
export { findSpec, gitArchiveCommand, parseExpandedSpec, parseRpmspecOutput, rpmBackend, rpmbuildCommand, rpmspecParseCommand, rpmspecQueryCommand, sourceTarballCommand, type SpecSources } from './rpm';

export interface BackendOptions extends SbuildOptions {
  /** The back end of deb builds (TSBIT_BUILDER_BACKEND). */
  deb: BackendName;
}

/** deb builds use the configured back end; rpm builds always rpmbuild. */
export function backendFor(format: PackageFormat, options: BackendOptions): Backend {
  if (format === 'rpm') return rpmBackend;
  return options.deb === 'sbuild' ? sbuildBackend(options) : nativeDebBackend;
}
