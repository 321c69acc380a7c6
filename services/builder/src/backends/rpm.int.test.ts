import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fetchGit } from '../sources/git';
import { fetchSvn } from '../sources/svn';
import { gitCommitAll, svnImport } from '../testing/fixtures';
import { testJob, testStepContext } from '../testing/step-context';
import { rpmBackend } from './rpm';

const RPM_TEST_TIMEOUT_MS = 60_000;

/**
 * A spec whose sources come from the repository it lives in: Source0 is made from the checkout
 * (nothing in the repository is a tarball), Source1 is a file of the repository.
 */
function specTree(root: string, options: { name: string; source0: string; setup: string }): string {
  const dir = mkdtempSync(path.join(root, `${options.name}-`));
  mkdirSync(path.join(dir, 'packaging'));
  writeFileSync(path.join(dir, 'greet'), '#!/bin/sh\necho "Hello from tsbit"\n', { mode: 0o755 });
  writeFileSync(path.join(dir, 'packaging', 'greet.conf'), 'greeting=hello\n');
  writeFileSync(
    path.join(dir, 'packaging', `${options.name}.spec`),
    [
      '%global upstream_name %{name}',
      `Name: ${options.name}`,
      'Version: 1.0',
      'Release: 1',
      'Summary: greeting built by the tsbit builder tests',
      'License: MIT',
      `Source0: https://example.org/releases/${options.source0}`,
      'Source1: greet.conf',
      'BuildArch: noarch',
      '%description',
      'A one-line shell script.',
      '%prep',
      options.setup,
      '%build',
      '%install',
      'mkdir -p %{buildroot}/usr/bin %{buildroot}/etc',
      `install -m 755 greet %{buildroot}/usr/bin/${options.name}`,
      `install -m 644 %{SOURCE1} %{buildroot}/etc/${options.name}.conf`,
      '%files',
      `/usr/bin/${options.name}`,
      `/etc/${options.name}.conf`,
      '',
    ].join('\n'),
  );
  return dir;
}

describe('rpm back end: rpmbuild -ba of a spec whose sources come from the checkout', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'tsbit-rpm-test-'));
  let jobs = 0;
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const build = async (method: 'git' | 'svn', url: string, name: string) => {
    const jobId = ++jobs;
    const ctx = testStepContext(testJob({ jobId, package: name, format: 'rpm', source: { method, url, ref: method === 'git' ? 'main' : '' } }), path.join(scratch, `job-${jobId}`));
    await (method === 'git' ? fetchGit(ctx) : fetchSvn(ctx));
    const { files } = await rpmBackend.build(ctx);
    return { files: files.map((file) => path.basename(file)).sort(), paths: files, log: ctx.close(), ctx };
  };
  const rpmFiles = (rpm: string) => execFileSync('rpm', ['-qlp', '--nosignature', rpm], { encoding: 'utf8' }).trim().split('\n');
  const tarMembers = (tarball: string) => execFileSync('tar', ['--list', '--auto-compress', '--file', tarball], { encoding: 'utf8' }).trim().split('\n');

  it(
    'makes Source0 %{name}-%{version}.tar.gz with git archive of the commit, under the name and directory the spec expects, and builds the SRPM and the RPM',
    async () => {
      const dir = specTree(scratch, { name: 'greet-git', source0: '%{name}-%{version}.tar.gz', setup: '%autosetup' });
      const { files, paths, log, ctx } = await build('git', gitCommitAll(dir), 'greet-git');

      expect(files).toEqual(['greet-git-1.0-1.noarch.rpm', 'greet-git-1.0-1.src.rpm']);
      expect(log).toContain('Source0 greet-git-1.0.tar.gz: git archive of HEAD under greet-git-1.0/');
      const srpm = paths.find((file) => file.endsWith('.src.rpm'))!;
      expect(rpmFiles(srpm).sort()).toEqual(['greet-git-1.0.tar.gz', 'greet-git.spec', 'greet.conf']);
      const tarball = path.join(ctx.jobDir, 'rpmbuild', 'SOURCES', 'greet-git-1.0.tar.gz');
      expect(tarMembers(tarball)).toEqual(expect.arrayContaining(['greet-git-1.0/greet', 'greet-git-1.0/packaging/greet-git.spec']));
      expect(tarMembers(tarball).some((member) => member.includes('.git/'))).toBe(false);
      expect(rpmFiles(paths.find((file) => file.endsWith('noarch.rpm'))!)).toEqual(['/etc/greet-git.conf', '/usr/bin/greet-git']);
    },
    RPM_TEST_TIMEOUT_MS,
  );

  it(
    'follows %setup -n and the compression Source0 names; from svn it makes Source0 with tar',
    async () => {
      const dir = specTree(scratch, { name: 'greet-svn', source0: '%{name}-%{version}.tar.xz', setup: '%setup -q -n %{name}-src' });
      const { files, log, ctx } = await build('svn', svnImport(dir, scratch), 'greet-svn');

      expect(files).toEqual(['greet-svn-1.0-1.noarch.rpm', 'greet-svn-1.0-1.src.rpm']);
      expect(log).toContain('Source0 greet-svn-1.0.tar.xz: tar of the tree under greet-svn-src/');
      expect(tarMembers(path.join(ctx.jobDir, 'rpmbuild', 'SOURCES', 'greet-svn-1.0.tar.xz'))).toEqual(expect.arrayContaining(['greet-svn-src/greet']));
    },
    RPM_TEST_TIMEOUT_MS,
  );

  it(
    'takes Source0 as the checkout ships it, when it does',
    async () => {
      const dir = specTree(scratch, { name: 'greet-shipped', source0: '%{name}-%{version}.tar.gz', setup: '%autosetup' });
      const upstream = path.join(scratch, 'upstream', 'greet-shipped-1.0');
      mkdirSync(upstream, { recursive: true });
      writeFileSync(path.join(upstream, 'greet'), '#!/bin/sh\necho "Hello from upstream"\n', { mode: 0o755 });
      execFileSync('tar', ['--create', '--gzip', '--file', path.join(dir, 'greet-shipped-1.0.tar.gz'), '--directory', path.dirname(upstream), 'greet-shipped-1.0']);
      const { files, log, ctx } = await build('git', gitCommitAll(dir), 'greet-shipped');

      expect(files).toEqual(['greet-shipped-1.0-1.noarch.rpm', 'greet-shipped-1.0-1.src.rpm']);
      expect(log).toContain('Source0 greet-shipped-1.0.tar.gz: shipped in the checkout');
      expect(tarMembers(path.join(ctx.jobDir, 'rpmbuild', 'SOURCES', 'greet-shipped-1.0.tar.gz'))).toEqual(['greet-shipped-1.0/', 'greet-shipped-1.0/greet']);
    },
    RPM_TEST_TIMEOUT_MS,
  );
});
