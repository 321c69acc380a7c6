import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from '../process';
import { BuildFailure, invalidSource } from '../failure';
import { expectSuccess, type StepContext } from '../step';
import { checkArgument, checkUrl } from './validate';

const GIT_URL_SCHEMES = ['https:', 'http:', 'git:', 'ssh:', 'git+ssh:', 'file:'];
/** `user@host:path`, as ssh-style git remotes are written. */
const SCP_LIKE = /^([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:[^:]/;

/**
 * The environment of every git command: never prompt for credentials (a build would hang), and
 * allow only plain transports, so that `ext::` and other helpers that run commands are refused
 * by git itself even if a URL slipped past `checkGitUrl`.
 */
export const GIT_ENV: Record<string, string> = {
  GIT_TERMINAL_PROMPT: '0',
  GIT_ALLOW_PROTOCOL: 'file:git:http:https:ssh',
  GIT_SSH_COMMAND: 'ssh -o BatchMode=yes',
};

/** Written into the build's directory for the clone of a local repository; see cloneEnvironment. */
const CLONE_CONFIG = 'git-clone.gitconfig';
/**
 * The user's own global settings (proxies, insteadOf) still apply: includes of missing files are
 * ignored. `safe.directory = *` lets this one clone read a repository owned by another user.
 */
const CLONE_CONFIG_CONTENT = '[include]\n\tpath = ~/.gitconfig\n\tpath = ~/.config/git/config\n[safe]\n\tdirectory = *\n';

/** file:// URLs and absolute paths: repositories on this machine, which git checks the owner of. */
export function isLocalGitUrl(url: string): boolean {
  return url.startsWith('/') || url.startsWith('file://');
}

/**
 * The environment of the clone of a local repository. The builder runs as its own user, so a
 * repository of another user (a developer's checkout, a test's) is refused by git as of "dubious
 * ownership" (CVE-2022-24765: a foreign repository's config can run commands in git commands run
 * inside its work tree). A clone only reads it, through upload-pack, whose command-running
 * settings (uploadpack.packObjectsHook) git takes from protected config only, never from the
 * repository's; the foreign repository's hooks and its core.fsmonitor, core.sshCommand and
 * core.alternateRefsCommand do not run (sources/git.int.test.ts checks each). What remains: the
 * build can read any repository the build user can read, as it could read any file.
 * `-c safe.directory=*` or GIT_CONFIG_COUNT would not do: git drops command-line config from the
 * environment of the upload-pack it starts for a local clone. A global config file given by
 * GIT_CONFIG_GLOBAL reaches it, and only this command gets it: the commands that later run in the
 * clone (the build user's own) do not trust foreign repositories.
 */
export async function cloneEnvironment(url: string, jobDir: string): Promise<Record<string, string>> {
  if (!isLocalGitUrl(url)) return GIT_ENV;
  const config = path.join(jobDir, CLONE_CONFIG);
  await writeFile(config, CLONE_CONFIG_CONTENT);
  return { ...GIT_ENV, GIT_CONFIG_GLOBAL: config };
}

export function checkGitUrl(url: string): string {
  checkArgument('source.url', url);
  if (url.includes('::')) throw invalidSource('source.url: git transport helpers ("<transport>::<address>") are not allowed');
  if (url.startsWith('/')) return url;
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url)) return checkUrl('source.url', url, GIT_URL_SCHEMES);
  if (SCP_LIKE.test(url)) return url;
  throw invalidSource(`source.url: "${url}" is not a git URL (${GIT_URL_SCHEMES.join(' ')}, user@host:path or an absolute path)`);
}

/** A branch, tag or commit; empty means the repository's default branch. */
export function checkGitRef(ref: string): string {
  if (ref === '') return 'HEAD';
  checkArgument('source.ref', ref);
  if (ref.includes('..') || /[~^:?*[\\]/.test(ref)) throw invalidSource(`source.ref: "${ref}" is not a branch, tag or commit`);
  return ref;
}

export function gitCloneCommand(url: string, dir: string): Command {
  return { command: 'git', args: ['clone', '--quiet', '--no-checkout', '--', checkGitUrl(url), dir] };
}

/** Resolves a name to a commit id; `--end-of-options` keeps the name from being read as an option. */
export function gitResolveCommand(dir: string, name: string): Command {
  return { command: 'git', args: ['-C', dir, 'rev-parse', '--verify', '--quiet', '--end-of-options', `${name}^{commit}`] };
}

export function gitCheckoutCommand(dir: string, commit: string): Command {
  // The trailing `--` makes git read `commit` as a revision, never as a path.
  return { command: 'git', args: ['-C', dir, 'checkout', '--quiet', '--detach', checkArgument('commit', commit), '--'] };
}

/**
 * Clones without a checkout, then checks out the ref detached. A ref may name a tag, a commit or
 * a branch other than the default one, which a fresh clone has only as `origin/<ref>`.
 */
export async function fetchGit(ctx: StepContext): Promise<void> {
  const ref = checkGitRef(ctx.job.source.ref);
  const clone = gitCloneCommand(ctx.job.source.url, ctx.srcDir);
  ctx.log(`git clone ${ctx.job.source.url} (ref ${ref})`);
  const env = await cloneEnvironment(ctx.job.source.url, ctx.jobDir);
  expectSuccess(await ctx.exec(clone, { cwd: ctx.jobDir, env }), 'package', 'source_unavailable', 'git clone');

  let commit: string | undefined;
  for (const candidate of ref === 'HEAD' ? [ref] : [ref, `refs/remotes/origin/${ref}`]) {
    const resolved = await ctx.exec(gitResolveCommand(ctx.srcDir, candidate), { env: GIT_ENV, captureStdout: true });
    if (resolved.exitCode === 0 && /^[0-9a-f]{40,64}$/.test(resolved.stdout.trim())) {
      commit = resolved.stdout.trim();
      break;
    }
  }
  if (!commit) throw new BuildFailure('package', 'source_unavailable', `git: ref "${ref}" is not a branch, tag or commit of ${ctx.job.source.url}`);
  ctx.log(`git checkout ${commit}`);
  expectSuccess(await ctx.exec(gitCheckoutCommand(ctx.srcDir, commit), { env: GIT_ENV }), 'package', 'source_unavailable', 'git checkout');
}
