import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gitCommitAll, makeDebianTree } from '../testing/fixtures';
import { testJob, testStepContext } from '../testing/step-context';
import { fetchGit } from './git';

/** nobody: a user other than the one running the clone (the tests run as root, as CI does). */
const FOREIGN_UID = 65534;
const HOOKS = ['pre-upload-pack', 'post-upload-pack', 'pre-receive', 'post-checkout', 'post-merge', 'reference-transaction', 'pre-auto-gc'];

describe('git source: a local repository of another user', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'tsbit-git-test-'));
  const markers = path.join(scratch, 'markers');
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  /** A repository whose hooks and command-running settings would each leave a marker file if run. */
  const foreignRepository = (name: string): string => {
    const tree = makeDebianTree({ root: scratch, package: name });
    const url = gitCommitAll(tree.dir);
    const mark = (what: string) => `touch ${path.join(markers, what)}`;
    for (const hook of HOOKS) {
      writeFileSync(path.join(tree.dir, '.git', 'hooks', hook), `#!/bin/sh\n${mark(hook)}\n`);
      chmodSync(path.join(tree.dir, '.git', 'hooks', hook), 0o755);
    }
    const config = (key: string, value: string) => execFileSync('git', ['-C', tree.dir, 'config', key, value]);
    config('uploadpack.packObjectsHook', `${mark('packObjectsHook')}; exec`);
    config('core.fsmonitor', `${mark('fsmonitor')}; false`);
    config('core.sshCommand', mark('sshCommand'));
    config('core.alternateRefsCommand', `${mark('alternateRefsCommand')}; true`);
    execFileSync('chown', ['-R', `${FOREIGN_UID}:${FOREIGN_UID}`, tree.dir]);
    return url;
  };

  let repositories = 0;
  beforeAll(() => {
    mkdirSync(markers);
    // Anyone may leave a marker, whoever a hook would run as.
    chmodSync(markers, 0o777);
  });

  it.each([
    ['a file:// URL', (url: string) => url],
    ['an absolute path', (url: string) => url.replace(/^file:\/\//, '')],
  ])('clones it from %s, which git alone refuses as of dubious ownership, and runs none of its hooks or settings', async (_how, form) => {
    const url = form(foreignRepository(`foreign-${++repositories}`));
    expect(statSync(url.replace(/^file:\/\//, '')).uid).toBe(FOREIGN_UID);
    const plain = (() => {
      try {
        execFileSync('git', ['clone', '--quiet', '--no-checkout', '--', url, path.join(scratch, `plain-${Date.now()}`)], { stdio: 'pipe' });
        return '';
      } catch (error) {
        return String((error as { stderr: Buffer }).stderr);
      }
    })();
    expect(plain).toContain('dubious ownership');

    const ctx = testStepContext(testJob({ package: 'foreign', source: { method: 'git', url, ref: 'main' } }), mkdtempSync(path.join(scratch, 'job-')));
    await fetchGit(ctx);
    const log = ctx.close();

    expect(existsSync(path.join(ctx.srcDir, 'debian', 'control'))).toBe(true);
    expect(log).toContain('git checkout');
    expect(readdirSync(markers)).toEqual([]);
    // The trust is the clone's alone: nothing of it is left in the clone's own config.
    expect(readFileSync(path.join(ctx.srcDir, '.git', 'config'), 'utf8')).not.toContain('safe');
  });
});
