import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LintianResult } from '@tsbit/domain';
import { artifactKind } from '../artifacts';
import { BuildFailure } from '../failure';
import { toolVersion } from '../inputs';
import type { Command } from '../process';
import type { StepContext } from '../step';

/** Lintian's own limit: a hung lintian ends as `failed`, well before the build's time-out. */
const LINTIAN_TIMEOUT_S = 600;
const LINTIAN_KILL_AFTER_S = 10;
/** `timeout`'s exit code when the limit was reached. */
const TIMED_OUT_EXIT_CODE = 124;
/** The artifact that holds lintian's output (kind "other": "log" is the build log's). */
export const LINTIAN_LOG = 'lintian.log';

/**
 * lintian on what a build made: `--fail-on none` because its verdict is read from its tags, and
 * its exit code then tells only whether lintian itself worked. `timeout` bounds it.
 */
export function lintianCommand(files: readonly string[]): Command {
  return {
    command: 'timeout',
    args: [`--kill-after=${LINTIAN_KILL_AFTER_S}`, String(LINTIAN_TIMEOUT_S), 'lintian', '--fail-on', 'none', '--', ...files],
  };
}

/** The .changes of a build (which names its .debs and .buildinfo), else its binary packages. */
export function lintianTargets(files: readonly string[]): string[] {
  const changes = files.filter((file) => artifactKind(path.basename(file)) === 'changes');
  if (changes.length > 0) return changes;
  return files.filter((file) => ['deb', 'udeb'].includes(artifactKind(path.basename(file))));
}

/** Counts lintian's error (E:) and warning (W:) tags; overridden, info and pedantic tags do not count. */
export function summarizeLintian(output: string, exitCode: number | null): Pick<LintianResult, 'status' | 'errors' | 'warnings'> {
  const lines = output.split('\n');
  const errors = lines.filter((line) => line.startsWith('E: ')).length;
  const warnings = lines.filter((line) => line.startsWith('W: ')).length;
  const status = exitCode !== 0 ? 'failed' : errors > 0 ? 'errors' : warnings > 0 ? 'warnings' : 'passed';
  return { status, errors, warnings };
}

export interface LintianStep {
  result: LintianResult;
  /** lintian.log in the build's directory, to upload with the packages; absent when lintian did not run. */
  logFile?: string;
}

/**
 * Lintian as a step of its own after a successful deb build: its tags are counted and its output
 * kept as lintian.log, and whatever it finds, or if it cannot run at all, the build stands.
 * Only a cancel or the build's time-out (which ctx.exec throws as they are) end the build here.
 */
export async function runLintian(ctx: StepContext, files: readonly string[]): Promise<LintianStep> {
  const targets = lintianTargets(files);
  if (targets.length === 0) return { result: { status: '', errors: 0, warnings: 0, log: '', lintianVersion: '' } };
  ctx.log(`lintian ${targets.map((file) => path.basename(file)).join(' ')} (its own step: the result never fails the build; output in ${LINTIAN_LOG})`);
  try {
    const run = await ctx.exec(lintianCommand(targets), { cwd: ctx.jobDir, captureStdout: true });
    const logFile = path.join(ctx.jobDir, LINTIAN_LOG);
    await writeFile(logFile, run.stdout);
    const summary = summarizeLintian(run.stdout, run.exitCode);
    const why = run.exitCode === TIMED_OUT_EXIT_CODE ? ` (timed out after ${LINTIAN_TIMEOUT_S} s)` : run.exitCode !== 0 ? ` (exit code ${run.exitCode ?? run.signal})` : '';
    ctx.log(`lintian: ${summary.status}${why}, ${summary.errors} errors, ${summary.warnings} warnings`);
    return { result: { ...summary, log: LINTIAN_LOG, lintianVersion: await toolVersion(ctx, 'lintian').catch(() => '') }, logFile };
  } catch (error) {
    // lintian not installed, or not startable: the build's result stands without it.
    if (!(error instanceof BuildFailure)) throw error;
    ctx.log(`lintian could not run: ${error.message}`);
    return { result: { status: 'failed', errors: 0, warnings: 0, log: '', lintianVersion: '' } };
  }
}
