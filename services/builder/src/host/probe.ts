import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, readFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { qemuInterpreter, type HostFacts } from './arch-support';

const run = promisify(execFile);

/** sbuild's unshare mode maps a whole system's ids (0-65535) onto the user's subordinate range. */
const MIN_SUBORDINATE_IDS = 65536;
const BINFMT_DIR = '/proc/sys/fs/binfmt_misc';
/** Probes that start a process give up after this long: a hung tool must not hang the builder. */
const PROBE_TIMEOUT_MS = 10_000;

export interface ProbeOptions {
  chrootDir: string;
  /** The architectures to ask arch-test about (the host's own needs no asking). */
  arches: readonly string[];
  /** For tests: other places for /etc/subuid, /etc/subgid and binfmt_misc. */
  paths?: { subuid?: string; subgid?: string; binfmtDir?: string };
}

/**
 * What the machine offers sbuild, as plain data for decideArchSupport: the user, its subordinate
 * id ranges, user namespaces, the readable chroot tarballs, binfmt_misc's interpreters. Cheap
 * (a few small files and processes), so it runs at start-up, at every hello and before each
 * sbuild build.
 */
export async function probeHost(options: ProbeOptions): Promise<HostFacts> {
  const { uid, username } = userInfo();
  const hostArch = await hostArchitecture();
  const [subuid, subgid, canUnshare, sbuildInstalled, chroots, binfmt, runsNatively] = await Promise.all([
    hasSubordinateRange(options.paths?.subuid ?? '/etc/subuid', username, uid),
    hasSubordinateRange(options.paths?.subgid ?? '/etc/subgid', username, uid),
    uid === 0 ? Promise.resolve(true) : succeeds('unshare', ['--user', '--map-root-user', 'true']),
    onPath('sbuild'),
    readableTarballs(options.chrootDir),
    enabledInterpreters(options.paths?.binfmtDir ?? BINFMT_DIR, options.arches.filter((arch) => arch !== hostArch)),
    nativelyRunnable(options.arches.filter((arch) => arch !== hostArch)),
  ]);
  return { uid, user: username, hostArch, runsNatively, subuid, subgid, canUnshare, sbuildInstalled, chrootDir: options.chrootDir, chroots, binfmt };
}

let hostArch: Promise<string> | undefined;

/** dpkg --print-architecture, asked once. */
export function hostArchitecture(): Promise<string> {
  hostArch ??= run('dpkg', ['--print-architecture'], { timeout: PROBE_TIMEOUT_MS }).then(
    ({ stdout }) => stdout.trim(),
    () => 'amd64',
  );
  return hostArch;
}

/**
 * True if `file` (/etc/subuid or /etc/subgid) gives the user, by name or uid, at least 65536 ids.
 * Lines are `user:first:count`.
 */
export function subordinateRangeIn(content: string, user: string, uid: number): boolean {
  return content.split('\n').some((line) => {
    const [owner, , count] = line.trim().split(':');
    return (owner === user || owner === String(uid)) && Number(count) >= MIN_SUBORDINATE_IDS;
  });
}

async function hasSubordinateRange(file: string, user: string, uid: number): Promise<boolean> {
  const content = await readFile(file, 'utf8').catch(() => '');
  return subordinateRangeIn(content, user, uid);
}

async function succeeds(command: string, args: string[]): Promise<boolean> {
  try {
    await run(command, args, { timeout: PROBE_TIMEOUT_MS });
    return true;
  } catch {
    return false;
  }
}

async function onPath(tool: string): Promise<boolean> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir !== '' && (await access(path.join(dir, tool), constants.X_OK).then(() => true, () => false))) return true;
  }
  return false;
}

async function readableTarballs(dir: string): Promise<Set<string>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const readable = await Promise.all(
    names
      .filter((name) => /\.tar(\.[a-z0-9]+)?$/.test(name))
      .map(async (name) => ((await access(path.join(dir, name), constants.R_OK).then(() => true, () => false)) ? name : undefined)),
  );
  return new Set(readable.filter((name): name is string => name !== undefined));
}

/** binfmt_misc entries that are enabled with flag F: the kernel opens the interpreter at registration, so it works inside a chroot. */
export function usableInterpreter(entry: string): boolean {
  const lines = entry.split('\n');
  const flags = lines.find((line) => line.startsWith('flags:'))?.slice('flags:'.length).trim() ?? '';
  return lines[0]?.trim() === 'enabled' && flags.includes('F');
}

async function enabledInterpreters(dir: string, foreignArches: readonly string[]): Promise<Set<string>> {
  const entries = await readdir(dir).catch(() => undefined);
  if (entries === undefined) return emulatedByKernel(foreignArches);
  const names = entries.filter((name) => name.startsWith('qemu-'));
  const usable = await Promise.all(names.map(async (name) => (usableInterpreter(await readFile(path.join(dir, name), 'utf8').catch(() => '')) ? name : undefined)));
  return new Set(usable.filter((name): name is string => name !== undefined));
}

/**
 * Where binfmt_misc is not mounted (a container: the node registers interpreters for its pods, see
 * the chart's binfmt DaemonSet, which registers them with flag F), whether the kernel runs each
 * architecture's programs at all: arch-test, emulation allowed.
 */
async function emulatedByKernel(arches: readonly string[]): Promise<Set<string>> {
  const results = await Promise.all(arches.map(async (arch) => ((await succeeds('arch-test', [arch])) ? qemuInterpreter(arch) : undefined)));
  return new Set(results.filter((name): name is string => name !== undefined));
}

/** arch-test -n runs a tiny program of each architecture without emulation. */
async function nativelyRunnable(arches: readonly string[]): Promise<Set<string>> {
  const results = await Promise.all(arches.map(async (arch) => ((await succeeds('arch-test', ['-n', arch])) ? arch : undefined)));
  return new Set(results.filter((arch): arch is string => arch !== undefined));
}
