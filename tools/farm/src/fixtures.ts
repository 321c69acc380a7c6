import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface PackageRepository {
  url: string;
  dir: string;
  package: string;
  version: string;
}

/**
 * A git repository holding a tiny native Debian package (one shell script in an
 * `Architecture: all` binary package), small enough that dpkg-buildpackage takes about a second.
 * `broken` makes debian/rules fail during the build, as a real packaging bug would;
 * `buildSeconds` makes the build take that long, for tests that act on a running build;
 * `buildDepends` adds build dependencies (dpkg-buildpackage refuses to build while they are not
 * installed: a dependency wait); `depends` adds run-time dependencies of the binary package.
 */
export function makeDebianPackageRepository(
  options: { package?: string; version?: string; broken?: boolean; buildSeconds?: number; buildDepends?: string[]; depends?: string[] } = {},
): PackageRepository {
  const name = options.package ?? 'hello-tsbit';
  const version = options.version ?? '1.0';
  const dir = mkdtempSync(path.join(tmpdir(), `${name}-`));
  // Readable by the build user the farm's builders run as.
  chmodSync(dir, 0o755);
  mkdirSync(path.join(dir, 'debian', 'source'), { recursive: true });
  const write = (file: string, content: string): void => writeFileSync(path.join(dir, file), content);
  write(`${name}`, '#!/bin/sh\necho "Hello from tsbit"\n');
  chmodSync(path.join(dir, name), 0o755);
  write('debian/source/format', '3.0 (native)\n');
  write(
    'debian/control',
    [
      `Source: ${name}`,
      'Section: misc',
      'Priority: optional',
      'Maintainer: tsbit tests <tests@tsbit.invalid>',
      `Build-Depends: ${['debhelper-compat (= 13)', ...(options.buildDepends ?? [])].join(', ')}`,
      'Standards-Version: 4.6.2',
      'Rules-Requires-Root: no',
      '',
      `Package: ${name}`,
      'Architecture: all',
      `Depends: ${['${misc:Depends}', ...(options.depends ?? [])].join(', ')}`,
      'Description: greeting built by the tsbit test suite',
      ' A one-line shell script, packaged to exercise the build farm.',
      '',
    ].join('\n'),
  );
  write(
    'debian/changelog',
    `${name} (${version}) bookworm; urgency=medium\n\n  * Test build.\n\n -- tsbit tests <tests@tsbit.invalid>  Tue, 24 Nov 2026 00:00:00 +0000\n`,
  );
  write('debian/install', `${name} usr/bin\n`);
  const buildStep = options.broken
    ? '\techo "error: this package is broken on purpose" >&2\n\texit 1\n'
    : options.buildSeconds
      ? `\techo "tsbit-test: building for ${options.buildSeconds} s"\n\tsleep ${options.buildSeconds}\n`
      : undefined;
  const rules = `#!/usr/bin/make -f\n%:\n\tdh $@\n${buildStep ? `\noverride_dh_auto_build:\n${buildStep}` : ''}`;
  write('debian/rules', rules);
  chmodSync(path.join(dir, 'debian', 'rules'), 0o755);
  commitAll(dir);
  return { url: `file://${dir}`, dir, package: name, version };
}

/**
 * A git repository holding a tiny rpm package (one shell script, noarch) whose spec expects its
 * source as `%{name}-%{version}.tar.gz`, which the repository does not ship: the builder makes it
 * from the checkout.
 */
export function makeRpmPackageRepository(options: { package?: string; version?: string } = {}): PackageRepository {
  const name = options.package ?? 'hello-tsbit-rpm';
  const version = options.version ?? '1.0';
  const dir = mkdtempSync(path.join(tmpdir(), `${name}-`));
  chmodSync(dir, 0o755);
  writeFileSync(path.join(dir, name), '#!/bin/sh\necho "Hello from tsbit"\n', { mode: 0o755 });
  writeFileSync(
    path.join(dir, `${name}.spec`),
    [
      `Name: ${name}`,
      `Version: ${version}`,
      'Release: 1',
      'Summary: greeting built by the tsbit test suite',
      'License: GPL-2.0-or-later',
      'BuildArch: noarch',
      'Source0: %{name}-%{version}.tar.gz',
      '',
      '%description',
      'A one-line shell script, packaged to exercise the build farm.',
      '',
      '%prep',
      '%setup -q',
      '',
      '%install',
      `install -D -m 0755 ${name} %{buildroot}/usr/bin/${name}`,
      '',
      '%files',
      `/usr/bin/${name}`,
      '',
    ].join('\n'),
  );
  commitAll(dir);
  return { url: `file://${dir}`, dir, package: name, version };
}

function commitAll(dir: string): void {
  const git = (...args: string[]): void => {
    execFileSync('git', args, { cwd: dir, stdio: 'ignore' });
  };
  git('init', '--quiet', '--initial-branch=main');
  git('add', '.');
  git('-c', 'user.name=tsbit', '-c', 'user.email=tests@tsbit.invalid', 'commit', '--quiet', '-m', 'package');
}
