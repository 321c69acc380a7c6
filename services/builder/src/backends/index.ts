import type { BackendName, PackageFormat } from '../config';
import type { Backend } from './backend';
import { nativeDebBackend } from './native-deb';
import { rpmBackend } from './rpm';
import { sbuildBackend } from './sbuild';

export type { Backend } from './backend';
export { dpkgBuildpackageCommand, hasArchDependentPackages, nativeDebBackend } from './native-deb';
export { sbuildCommand, sbuildBackend } from './sbuild';
export { findSpec, parseRpmspecOutput, rpmBackend, rpmbuildCommand, rpmspecQueryCommand, sourceTarballCommand } from './rpm';

/** deb builds use the configured back end; rpm builds always rpmbuild. */
export function backendFor(format: PackageFormat, debBackend: BackendName): Backend {
  if (format === 'rpm') return rpmBackend;
  return debBackend === 'sbuild' ? sbuildBackend : nativeDebBackend;
}
