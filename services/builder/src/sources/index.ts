import type { SourceMethod } from '@tsbit/domain';
import type { StepContext } from '../step';
import { fetchApt } from './apt';
import { fetchDsc } from './dsc';
import { fetchGit } from './git';
import { fetchSvn } from './svn';

/** The builder's settings that sources need. */
export interface SourceOptions {
  /** APT sources to fetch apt sources from instead of the host's (TSBIT_APT_SOURCES). */
  aptSourcesFile?: string;
}

/** Each source method puts the job's source tree at `ctx.srcDir`. */
export const sourceFetchers: Record<SourceMethod, (ctx: StepContext, options?: SourceOptions) => Promise<void>> = {
  git: fetchGit,
  svn: fetchSvn,
  apt: (ctx, options) => fetchApt(ctx, options?.aptSourcesFile ? { sourcesFile: options.aptSourcesFile } : {}),
  dsc: fetchDsc,
};

export { checkGitRef, checkGitUrl, cloneEnvironment, gitCheckoutCommand, gitCloneCommand, gitResolveCommand, GIT_ENV, isLocalGitUrl } from './git';
export { svnExportCommand, checkSvnRevision } from './svn';
export { aptSourceCommand, aptStateDir, aptUpdateCommand, archiveSources, debSrcSources, isStale, readAptSources, SharedLock } from './apt';
export { dgetCommand, dpkgSourceExtractCommand } from './dsc';
export { gpgvCommand, onlySignedContent, parseGpgvStatus, selectKeyrings, verifyDscSignature } from './signature';
