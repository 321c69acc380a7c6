import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface PackageTree {
  dir: string;
  package: string;
  version: string;
}

const RULES = {
  ok: '#!/usr/bin/make -f\n%:\n\tdh $@\n',
  broken: '#!/usr/bin/make -f\n%:\n\tdh $@\n\noverride_dh_auto_build:\n\techo "error: this package is broken on purpose" >&2\n\texit 1\n',
  // Long enough that only a cancel or a time-out ends it; the test waits for the marker.
  sleeping: '#!/usr/bin/make -f\n%:\n\tdh $@\n\noverride_dh_auto_build:\n\techo "tsbit-test: sleeping"\n\tsleep 300\n',
  // Builds fine, but dpkg-deb labels the .deb arm64 whatever the build's architecture.
  mislabelled: '#!/usr/bin/make -f\n%:\n\tdh $@\n\noverride_dh_gencontrol:\n\tdh_gencontrol -- -DArchitecture=arm64\n',
};

/**
 * A tiny native Debian package (one shell script in an `Architecture: all` binary package):
 * dpkg-buildpackage builds it in about a second. `rules` picks a working, broken or endless build.
 */
export function makeDebianTree(options: { package: string; version?: string; rules?: keyof typeof RULES; dir?: string; root?: string }): PackageTree {
  const name = options.package;
  const version = options.version ?? '1.0';
  const dir = options.dir ?? mkdtempSync(path.join(options.root ?? tmpdir(), `${name}-`));
  mkdirSync(path.join(dir, 'debian', 'source'), { recursive: true });
  const write = (file: string, content: string): void => writeFileSync(path.join(dir, file), content);
  write(name, '#!/bin/sh\necho "Hello from tsbit"\n');
  chmodSync(path.join(dir, name), 0o755);
  write('debian/source/format', '3.0 (native)\n');
  write(
    'debian/control',
    [
      `Source: ${name}`,
      'Section: misc',
      'Priority: optional',
      'Maintainer: tsbit tests <tests@tsbit.invalid>',
      'Build-Depends: debhelper-compat (= 13)',
      'Standards-Version: 4.6.2',
      'Rules-Requires-Root: no',
      '',
      `Package: ${name}`,
      'Architecture: all',
      'Depends: ${misc:Depends}',
      'Description: greeting built by the tsbit builder tests',
      ' A one-line shell script.',
      '',
    ].join('\n'),
  );
  write('debian/changelog', `${name} (${version}) bookworm; urgency=medium\n\n  * Test build.\n\n -- tsbit tests <tests@tsbit.invalid>  Tue, 24 Nov 2026 00:00:00 +0000\n`);
  write('debian/install', `${name} usr/bin\n`);
  write('debian/rules', RULES[options.rules ?? 'ok']);
  chmodSync(path.join(dir, 'debian', 'rules'), 0o755);
  return { dir, package: name, version };
}

/** A tiny rpm package: a spec whose Source0 is `%{name}-%{version}.tar.gz`, and its one file. */
export function makeRpmTree(options: { package: string; version?: string; root?: string }): PackageTree {
  const name = options.package;
  const version = options.version ?? '1.0';
  const dir = mkdtempSync(path.join(options.root ?? tmpdir(), `${name}-`));
  writeFileSync(path.join(dir, name), '#!/bin/sh\necho "Hello from tsbit"\n', { mode: 0o755 });
  writeFileSync(
    path.join(dir, `${name}.spec`),
    [
      `Name: ${name}`,
      `Version: ${version}`,
      'Release: 1',
      'Summary: greeting built by the tsbit builder tests',
      'License: MIT',
      'Source0: %{name}-%{version}.tar.gz',
      'BuildArch: noarch',
      '%description',
      'A one-line shell script.',
      '%prep',
      '%setup -q',
      '%build',
      '%install',
      'mkdir -p %{buildroot}/usr/bin',
      `install -m 755 ${name} %{buildroot}/usr/bin/${name}`,
      '%files',
      `/usr/bin/${name}`,
      '',
    ].join('\n'),
  );
  return { dir, package: name, version };
}

/** Commits a tree into a git repository of its own (in place), branch main. */
export function gitCommitAll(dir: string): string {
  const git = (...args: string[]): string => execFileSync('git', args, { cwd: dir, encoding: 'utf8' });
  git('init', '--quiet', '--initial-branch=main');
  git('add', '.');
  git('-c', 'user.name=tsbit', '-c', 'user.email=tests@tsbit.invalid', 'commit', '--quiet', '-m', 'package');
  return `file://${dir}`;
}

/** Imports a tree into a fresh local svn repository; returns the repository's URL. */
export function svnImport(dir: string, root = tmpdir()): string {
  const repository = mkdtempSync(path.join(root, 'tsbit-svn-'));
  execFileSync('svnadmin', ['create', repository]);
  const url = `file://${repository}/trunk`;
  execFileSync('svn', ['import', '--quiet', '--non-interactive', '-m', 'package', '--', dir, url]);
  return url;
}

/** Builds the source package of a tree (dpkg-source -b) and returns the .dsc's file:// URL. */
export function makeDsc(tree: PackageTree): string {
  const parent = path.dirname(tree.dir);
  execFileSync('dpkg-source', ['-b', path.basename(tree.dir)], { cwd: parent, stdio: 'ignore' });
  return `file://${path.join(parent, `${tree.package}_${tree.version}.dsc`)}`;
}
