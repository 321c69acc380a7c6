import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { findArchitectureMismatches } from './artifacts';
import type { BuildJob } from './build-request';
import { runProcess } from './process';
import type { StepContext } from './step';

describe('the architecture check with real dpkg-deb and rpm', () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'tsbit-arch-check-'));
  const logFd = openSync(path.join(scratch, 'build.log'), 'a');
  const ctx: StepContext = {
    job: {} as BuildJob,
    jobDir: scratch,
    srcDir: scratch,
    log: () => undefined,
    logTail: async () => '',
    exec: (command, options = {}) => runProcess(command, { cwd: options.cwd ?? scratch, env: process.env, logFd, captureStdout: options.captureStdout ?? false, graceMs: 100 }),
  };
  afterAll(() => {
    closeSync(logFd);
    rmSync(scratch, { recursive: true, force: true });
  });

  /** A .deb made by dpkg-deb --build, labelled with whatever `arch` says. */
  const deb = (name: string, arch: string): string => {
    const root = path.join(scratch, `${name}-root`);
    mkdirSync(path.join(root, 'DEBIAN'), { recursive: true });
    writeFileSync(path.join(root, 'DEBIAN', 'control'), `Package: ${name}\nVersion: 1.0\nArchitecture: ${arch}\nMaintainer: tsbit tests <tests@tsbit.invalid>\nDescription: test\n`);
    const file = path.join(scratch, `${name}_1.0_${arch}.deb`);
    execFileSync('dpkg-deb', ['--build', '--root-owner-group', root, file], { stdio: 'ignore' });
    return file;
  };

  /** Binary rpms for `targets` and the source rpm, made by rpmbuild. */
  const rpms = (targets: string[]): string[] => {
    const topdir = path.join(scratch, 'rpmbuild');
    const spec = path.join(scratch, 'tiny.spec');
    writeFileSync(
      spec,
      'Name: tiny\nVersion: 1.0\nRelease: 1\nSummary: t\nLicense: MIT\n%description\nt\n%install\nmkdir -p %{buildroot}/usr/share/tiny\necho hi > %{buildroot}/usr/share/tiny/x\n%files\n/usr/share/tiny/x\n',
    );
    execFileSync('rpmbuild', ['-bs', '--define', `_topdir ${topdir}`, spec], { stdio: 'ignore' });
    for (const target of targets) execFileSync('rpmbuild', ['-bb', '--target', target, '--define', `_topdir ${topdir}`, spec], { stdio: 'ignore' });
    return [path.join(topdir, 'SRPMS', 'tiny-1.0-1.src.rpm'), ...targets.map((target) => path.join(topdir, 'RPMS', target, `tiny-1.0-1.${target}.rpm`))];
  };

  it('passes packages for the job arch and for all; names each other one with its arch', async () => {
    const files = [deb('fits', 'i386'), deb('common', 'all'), deb('wrong', 'arm64')];
    expect(await findArchitectureMismatches(ctx, files, 'i386')).toEqual([{ file: 'wrong_1.0_arm64.deb', arch: 'arm64' }]);
  });

  it("maps rpm's arch names, passes the source rpm, and names a binary rpm for another arch", async () => {
    const files = rpms(['i686', 'aarch64']);
    expect(await findArchitectureMismatches(ctx, files, 'i386')).toEqual([{ file: 'tiny-1.0-1.aarch64.rpm', arch: 'aarch64' }]);
    expect(await findArchitectureMismatches(ctx, files, 'arm64')).toEqual([{ file: 'tiny-1.0-1.i686.rpm', arch: 'i686' }]);
  });
});
