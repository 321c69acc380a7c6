import type { Command } from '../process';
import { invalidSource } from '../failure';
import { expectSuccess, type StepContext } from '../step';
import { checkArgument, checkUrl } from './validate';

const SVN_URL_SCHEMES = ['https:', 'http:', 'svn:', 'svn+ssh:', 'file:'];
/** A revision number, or one of svn's revision keywords; empty means HEAD. */
const SVN_REVISION = /^(\d+|HEAD|\{[0-9T:.Z+-]+\})$/;

export function checkSvnRevision(ref: string): string {
  if (ref === '') return 'HEAD';
  checkArgument('source.ref', ref);
  if (!SVN_REVISION.test(ref)) throw invalidSource(`source.ref: "${ref}" is not an svn revision (${SVN_REVISION.source})`);
  return ref;
}

export function svnExportCommand(url: string, ref: string, dir: string): Command {
  return {
    command: 'svn',
    args: ['export', '--quiet', '--non-interactive', '-r', checkSvnRevision(ref), '--', checkUrl('source.url', url, SVN_URL_SCHEMES), dir],
  };
}

/** Exports the tree at a revision: no working copy, nothing of svn's in the source tree. */
export async function fetchSvn(ctx: StepContext): Promise<void> {
  const command = svnExportCommand(ctx.job.source.url, ctx.job.source.ref, ctx.srcDir);
  ctx.log(`svn export ${ctx.job.source.url}@${ctx.job.source.ref || 'HEAD'}`);
  expectSuccess(await ctx.exec(command, { cwd: ctx.jobDir }), 'package', 'source_unavailable', 'svn export');
}
