import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { jobDecider, jobStreamId, type Artifact, type ArtifactKind, type JobCommand } from '@tsbit/domain';
import { handleCommand, type EventLog } from '@tsbit/event-log';
import { run, runText } from './run';

/** Test helpers: real packages made with dpkg-deb, dpkg-source and rpmbuild, and a private apt client. */

export async function makeDeb(dir: string, options: { name: string; version: string; arch: string; source?: string; extension?: 'deb' | 'udeb' }): Promise<string> {
  const root = path.join(dir, `${options.name}-${options.version}-${options.arch}-tree`);
  await mkdir(path.join(root, 'DEBIAN'), { recursive: true });
  await mkdir(path.join(root, 'usr', 'share', 'doc', options.name), { recursive: true });
  await writeFile(path.join(root, 'usr', 'share', 'doc', options.name, 'README'), `${options.name} ${options.version}\n`);
  await writeFile(
    path.join(root, 'DEBIAN', 'control'),
    [
      `Package: ${options.name}`,
      ...(options.source ? [`Source: ${options.source}`] : []),
      `Version: ${options.version}`,
      `Architecture: ${options.arch}`,
      'Maintainer: tsbit tests <tests@tsbit.invalid>',
      'Section: misc',
      'Priority: optional',
      `Description: ${options.name}, a test package`,
      ' Made by the artifact service tests.',
      '',
    ].join('\n'),
  );
  const file = path.join(dir, `${options.name}_${options.version}_${options.arch}.${options.extension ?? 'deb'}`);
  await run('dpkg-deb', ['--build', '--root-owner-group', '-Zgzip', root, file]);
  return file;
}

/** A native source package (format 3.0 (native)): its .dsc and .tar.xz. */
export async function makeNativeSource(dir: string, options: { name: string; version: string }): Promise<string[]> {
  const tree = path.join(dir, `${options.name}-${options.version}`);
  await mkdir(path.join(tree, 'debian', 'source'), { recursive: true });
  await writeFile(path.join(tree, 'debian', 'source', 'format'), '3.0 (native)\n');
  await writeFile(
    path.join(tree, 'debian', 'control'),
    `Source: ${options.name}\nMaintainer: tsbit tests <tests@tsbit.invalid>\nBuild-Depends: debhelper-compat (= 13)\nStandards-Version: 4.6.2\n\nPackage: ${options.name}\nArchitecture: all\nDescription: test\n test\n`,
  );
  await writeFile(path.join(tree, 'debian', 'changelog'), `${options.name} (${options.version}) bookworm; urgency=medium\n\n  * Test.\n\n -- tsbit tests <tests@tsbit.invalid>  Thu, 01 Jan 2026 00:00:00 +0000\n`);
  await writeFile(path.join(tree, 'debian', 'rules'), '#!/usr/bin/make -f\n%:\n\tdh $@\n', { mode: 0o755 });
  await run('dpkg-source', ['--build', path.basename(tree)], { cwd: dir });
  return [path.join(dir, `${options.name}_${options.version}.dsc`), path.join(dir, `${options.name}_${options.version}.tar.xz`)];
}

/** A noarch rpm built by rpmbuild from a spec that needs no sources. */
export async function makeRpm(dir: string, options: { name: string; version: string; release?: string }): Promise<string> {
  const top = path.join(dir, `rpmbuild-${options.name}-${options.version}`);
  await mkdir(path.join(top, 'SPECS'), { recursive: true });
  const spec = path.join(top, 'SPECS', `${options.name}.spec`);
  await writeFile(
    spec,
    [
      `Name: ${options.name}`,
      `Version: ${options.version}`,
      `Release: ${options.release ?? '1'}`,
      'Summary: a test package',
      'License: MIT',
      'BuildArch: noarch',
      '%description',
      'Made by the artifact service tests.',
      '%install',
      `mkdir -p %{buildroot}/usr/share/${options.name}`,
      `echo ${options.version} > %{buildroot}/usr/share/${options.name}/version`,
      '%files',
      `/usr/share/${options.name}/version`,
      '',
    ].join('\n'),
  );
  await run('rpmbuild', ['--define', `_topdir ${top}`, '-bb', spec]);
  return path.join(top, 'RPMS', 'noarch', `${options.name}-${options.version}-${options.release ?? '1'}.noarch.rpm`);
}

export const sha256File = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

export function kindOfFile(name: string): ArtifactKind {
  for (const kind of ['udeb', 'deb', 'rpm', 'dsc', 'log'] as const) if (name.endsWith(`.${kind}`)) return kind;
  return 'other';
}

/** A job of its own through the job decider, up to its attempt being built by `builder`. */
export async function startJob(
  log: EventLog,
  jobId: number,
  options: { suite: string; format: 'deb' | 'rpm'; arch: string; builder: string; package?: string; rebuildOf?: number },
): Promise<void> {
  const at = new Date().toISOString();
  const command = (value: JobCommand) => handleCommand({ log, stream: jobStreamId(jobId), decider: jobDecider, command: value });
  await command({
    type: 'SubmitJob',
    at,
    job: {
      jobId,
      package: options.package ?? `job${jobId}`,
      version: '1.0',
      suite: options.suite,
      dist: 'debian',
      arch: options.arch,
      format: options.format,
      env: '',
      source: { method: 'git', url: 'file:///nowhere.git', ref: 'main' },
      priority: 0,
      project: 'tests',
      dependsOn: [],
      buildArchIndep: true,
      submittedBy: { kind: 'user', name: 'tests' },
      retryOf: 0,
      ...(options.rebuildOf ? { rebuildOf: options.rebuildOf } : {}),
    },
  });
  await command({ type: 'QueueJob', at, routingKey: `${options.format}.${options.suite}.${options.arch}` });
  await command({ type: 'StartBuild', at, attempt: 1, builder: options.builder });
}

export async function finishJob(log: EventLog, jobId: number, builder: string, artifacts: Artifact[], outcome: 'succeeded' | 'failed' = 'succeeded'): Promise<void> {
  const at = new Date().toISOString();
  const command: JobCommand =
    outcome === 'succeeded'
      ? { type: 'SucceedBuild', at, attempt: 1, builder, artifacts }
      : { type: 'FailBuild', at, attempt: 1, builder, artifacts, failureClass: 'package', reason: { code: 'package_failure', message: 'broken', jobIds: [] } };
  await handleCommand({ log, stream: jobStreamId(jobId), decider: jobDecider, command });
}

/**
 * apt-get and apt-cache with a configuration of their own: sources, lists, cache, status and
 * trusted keys all under `dir`, nothing of the machine's. The sources entry is the one the service
 * serves, so what is tested is what a user would install.
 */
export class AptClient {
  private readonly options: string[];

  constructor(
    readonly dir: string,
    options: { sourcesEntry?: string; listLine?: string; trustedKeyring?: string; arch?: string },
  ) {
    for (const sub of ['lists/partial', 'cache/archives/partial', 'sources.list.d', 'trusted.gpg.d', 'preferences.d', 'apt.conf.d']) mkdirSync(path.join(dir, sub), { recursive: true });
    writeFileSync(path.join(dir, 'status'), '');
    writeFileSync(path.join(dir, 'sources.list'), options.listLine ?? '');
    if (options.sourcesEntry) writeFileSync(path.join(dir, 'sources.list.d', 'tsbit.sources'), options.sourcesEntry);
    this.options = [
      `Dir::Etc::sourcelist=${path.join(dir, 'sources.list')}`,
      `Dir::Etc::sourceparts=${path.join(dir, 'sources.list.d')}`,
      `Dir::Etc::trusted=${options.trustedKeyring ?? path.join(dir, 'no-such-keyring.gpg')}`,
      `Dir::Etc::trustedparts=${path.join(dir, 'trusted.gpg.d')}`,
      `Dir::Etc::preferencesparts=${path.join(dir, 'preferences.d')}`,
      `Dir::Etc::parts=${path.join(dir, 'apt.conf.d')}`,
      `Dir::State=${dir}`,
      `Dir::State::lists=${path.join(dir, 'lists')}`,
      `Dir::State::status=${path.join(dir, 'status')}`,
      `Dir::Cache=${path.join(dir, 'cache')}`,
      `APT::Architecture=${options.arch ?? 'amd64'}`,
      'APT::Architectures=',
      'Debug::NoLocking=1',
      'Acquire::Retries=0',
      'Acquire::Languages=none',
      `APT::Sandbox::User=${process.getuid?.() === 0 ? 'root' : (process.env.USER ?? 'root')}`,
    ].flatMap((option) => ['-o', option]);
  }

  /** `apt-get update`: exit code and what it printed (signature problems are errors in apt 2.x). */
  async update(): Promise<{ ok: boolean; output: string }> {
    try {
      const output = await runText('apt-get', [...this.options, '-q', 'update']);
      return { ok: !/^(E|W):/m.test(output), output };
    } catch (error) {
      return { ok: false, output: (error as Error).message };
    }
  }

  /** The candidate version `apt-cache policy` shows, undefined when apt knows no such package. */
  async candidate(name: string): Promise<string | undefined> {
    const output = await runText('apt-cache', [...this.options, 'policy', name]);
    const candidate = /Candidate: (\S+)/.exec(output)?.[1];
    return candidate === undefined || candidate === '(none)' ? undefined : candidate;
  }

  /** Every version of a package that the indices name (`apt-cache show`). */
  async versions(name: string): Promise<string[]> {
    const output = await runText('apt-cache', [...this.options, 'show', name]).catch(() => '');
    return [...output.matchAll(/^Version: (\S+)$/gm)].map((match) => match[1] as string);
  }

  /** Every version of a source package that Sources names (`apt-cache showsrc`). */
  async sourceVersions(name: string): Promise<string[]> {
    const output = await runText('apt-cache', [...this.options, 'showsrc', name]).catch(() => '');
    return [...output.matchAll(/^Version: (\S+)$/gm)].map((match) => match[1] as string);
  }

  /** `apt-get download`, which checks the file against the index's hashes. */
  async download(name: string, into: string): Promise<string> {
    await mkdir(into, { recursive: true });
    return runText('apt-get', [...this.options, '-q', 'download', name], { cwd: into });
  }
}

export const readText = (file: string): Promise<string> => readFile(file, 'utf8');
