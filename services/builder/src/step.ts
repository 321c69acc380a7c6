import type { BuildJob } from './build-request';
import { BuildFailure } from './failure';
import type { Command, RunResult } from './process';

export interface ExecOptions {
  /** Defaults to the source tree. */
  cwd?: string;
  /** Added to the build's environment. */
  env?: Record<string, string>;
  captureStdout?: boolean;
}

/** What a source method or a back end gets to do its part of one build. */
export interface StepContext {
  job: BuildJob;
  /** The build's own directory: downloads, results and the log live here. */
  jobDir: string;
  /** The unpacked source tree, inside jobDir. */
  srcDir: string;
  /**
   * Runs a command (never through a shell) with its output in the build log. Resolves with its
   * exit; rejects when the build was stopped, or with an infrastructure failure when the tool
   * cannot be started.
   */
  exec(command: Command, options?: ExecOptions): Promise<RunResult>;
  /** A line of the builder's own in the build log. */
  log(line: string): void;
  /** The end of the build log so far, to tell why a step failed (e.g. sbuild's Fail-Stage). */
  logTail(): Promise<string>;
}

/** A step's command must exit 0; otherwise the build fails with `code`, explained by the log. */
export function expectSuccess(result: RunResult, failureClass: BuildFailure['failureClass'], code: string, what: string): void {
  if (result.exitCode === 0) return;
  const how = result.exitCode !== null ? `exit code ${result.exitCode}` : `signal ${result.signal ?? 'unknown'}`;
  throw new BuildFailure(failureClass, code, `${what} failed (${how})`, true);
}
