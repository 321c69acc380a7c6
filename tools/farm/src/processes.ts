import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { BuildUser } from './build-user';

export const repositoryRoot = path.resolve(__dirname, '../../..');

const STOP_GRACE_MS = 15_000;

export interface ServiceProcess {
  name: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

/** Runs one service's main.ts under tsx, each output line prefixed with the service's name. */
export function startService(
  name: string,
  entry: string,
  env: NodeJS.ProcessEnv,
  output: (line: string) => void,
  user?: BuildUser,
): ServiceProcess {
  // One process per service (tsx as a loader, not a wrapper), so that a signal reaches the service
  // itself; a different user by uid/gid rather than runuser, which would stand between the signal
  // and the service and SIGKILL it two seconds later.
  const child = spawn(process.execPath, ['--import', 'tsx', entry], {
    cwd: repositoryRoot,
    env: user ? { ...env, HOME: user.home, USER: user.name, LOGNAME: user.name } : env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => output(`${name.padEnd(11)}| ${line}`));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { name, child, exited };
}

/** SIGTERM, as Kubernetes sends it; SIGKILL only for a service that outlives the grace period. */
export async function stopService(service: ServiceProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (service.child.exitCode !== null || service.child.signalCode !== null) return;
  service.child.kill(signal);
  const timer = setTimeout(() => service.child.kill('SIGKILL'), STOP_GRACE_MS);
  await service.exited;
  clearTimeout(timer);
}
