import type { SourceMethod } from '@tsbit/domain';
import type { StepContext } from '../step';
import { fetchApt } from './apt';
import { fetchDsc } from './dsc';
import { fetchGit } from './git';
import { fetchSvn } from './svn';

/** Each source method puts the job's source tree at `ctx.srcDir`. */
export const sourceFetchers: Record<SourceMethod, (ctx: StepContext) => Promise<void>> = {
  git: fetchGit,
  svn: fetchSvn,
  apt: (ctx) => fetchApt(ctx),
  dsc: fetchDsc,
};

export { checkGitRef, checkGitUrl, gitCheckoutCommand, gitCloneCommand, gitResolveCommand, GIT_ENV } from './git';
export { svnExportCommand, checkSvnRevision } from './svn';
export { aptSourceCommand, hasDebSrc, readAptSources } from './apt';
export { dgetCommand, dpkgSourceExtractCommand } from './dsc';
