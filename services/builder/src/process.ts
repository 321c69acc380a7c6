import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** How often a stopped build's process group is checked for survivors. */
const GROUP_POLL_MS = 50;
/** Upper bound on what a step may print when its output is captured rather than logged. */
const MAX_CAPTURE_BYTES = 1024 * 1024;

/** Why a step was stopped from outside: a cancel, a time-out, the builder shutting down, or a build log over its limit. */
export type StopReason = 'cancelled' | 'timeout' | 'shutdown' | 'log_too_large';

/** A command as an argument array: no shell ever sees a URL, a ref or a file name. */
export interface Command {
  command: string;
  args: string[];
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** File descriptor of the build log: stdout and stderr of the step go there. */
  logFd: number;
  /** Collect stdout instead of logging it (stderr still goes to the log). */
  captureStdout?: boolean;
  /** Aborting it stops the step's whole process group; its reason is a StopReason. */
  signal?: AbortSignal;
  /** Between SIGINT and SIGTERM, and between SIGTERM and SIGKILL. */
  graceMs: number;
}

export interface RunResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  /** Set when the step was stopped from outside. */
  stopped?: StopReason;
}

/** The command could not be started at all (missing tool, bad work dir). */
export class SpawnError extends Error {
  constructor(
    readonly command: string,
    readonly errorCode: string | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'SpawnError';
  }
}

/**
 * Runs one step of a build in a process group of its own, so that a cancel or a time-out can
 * signal everything the build started (make, compilers, test suites), not only its first process.
 * Stopping sends SIGINT first, because sbuild must be allowed to tear its chroot down (SIGKILL
 * would leave it mounted); SIGTERM and then SIGKILL follow for what ignores it.
 * Resolves once the step and every process of its group are gone.
 */
export function runProcess({ command, args }: Command, options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      resolve({ exitCode: null, signal: null, stdout: '', stopped: stopReasonOf(options.signal) });
      return;
    }
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', options.captureStdout ? 'pipe' : options.logFd, options.logFd],
    });
    const chunks: Buffer[] = [];
    let captured = 0;
    child.stdout?.on('data', (chunk: Buffer) => {
      if (captured + chunk.length <= MAX_CAPTURE_BYTES) chunks.push(chunk);
      captured += chunk.length;
    });

    let stopped: StopReason | undefined;
    let escalation: Promise<void> | undefined;
    const onAbort = (): void => {
      if (child.pid === undefined || stopped) return;
      stopped = stopReasonOf(options.signal);
      escalation = stopProcessGroup(child.pid, options.graceMs);
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.once('error', (error: NodeJS.ErrnoException) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(new SpawnError(command, error.code, `cannot run ${command}: ${error.message}`));
    });
    child.once('close', (exitCode, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      const done = (): void =>
        resolve({ exitCode, signal, stdout: Buffer.concat(chunks).toString('utf8'), ...(stopped ? { stopped } : {}) });
      // The group leader may exit before its children: wait until the whole group is gone.
      if (escalation) void escalation.then(done);
      else done();
    });
  });
}

function stopReasonOf(signal: AbortSignal | undefined): StopReason {
  const reason: unknown = signal?.reason;
  return reason === 'timeout' || reason === 'shutdown' || reason === 'log_too_large' ? reason : 'cancelled';
}

/** SIGINT, then SIGTERM, then SIGKILL to a process group, each after a grace, until it is empty. */
export async function stopProcessGroup(pgid: number, graceMs: number): Promise<void> {
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGKILL'] as const) {
    if (!signalGroup(pgid, signal)) return;
    const deadline = Date.now() + (signal === 'SIGKILL' ? Math.max(graceMs, 1000) : graceMs);
    while (groupAlive(pgid) && Date.now() < deadline) await delay(GROUP_POLL_MS);
    if (!groupAlive(pgid)) return;
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  // Where nobody reaps orphans (some container inits), zombies keep a group "alive": on Linux,
  // count only members that still run.
  return process.platform !== 'linux' || liveMembers(pgid);
}

function liveMembers(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command (which may hold spaces and parentheses): state, ppid, pgrp, ...
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid && fields[0] !== 'Z') return true;
    } catch {
      // The process ended while we looked.
    }
  }
  return false;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
