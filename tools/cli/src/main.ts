import { setTimeout as sleep } from 'node:timers/promises';
import { ApiProblem, ApiUnreachable, createApiClient, submittedJobs, type ApiClient, type JobSummary } from './api-client';
import { parseInvocation, UsageError, USAGE, type Command } from './args';
import { exitCodeOf, followJobs } from './follow';
import { followLog } from './log';
import { renderBuilders, renderChange, renderIssued, renderJob, renderJobPage, renderProblem, renderSubmitted, renderTokens, renderUsageError } from './format';
import { resolveToken } from './token';

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';
const EXIT_OK = 0;
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/** Everything the CLI touches outside itself, so tests run it in-process against a real API. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  sleep?(ms: number): Promise<void>;
}

const processIo = (): CliIo => ({
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
});

/** Runs one command line; answers the exit code: 0 done, 1 the API refused or a job did not finish Done, 2 usage. */
export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const print = (text: string) => io.stdout(`${text}\n`);
  try {
    const invocation = parseInvocation(argv);
    if (invocation.command.type === 'help') {
      print(USAGE);
      return EXIT_OK;
    }
    const api = createApiClient({
      baseUrl: invocation.apiUrl || io.env.TSBIT_API_URL || DEFAULT_API_URL,
      token: await resolveToken(invocation.token, io.env, io.cwd),
    });
    return await run(invocation.command, api, {
      json: invocation.json,
      print,
      write: (text) => io.stdout(text),
      warn: (text) => io.stderr(`${text}\n`),
      sleep: io.sleep ?? ((ms) => sleep(ms)),
    });
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${renderUsageError(error.message, error.usage)}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof ApiProblem) io.stderr(`${renderProblem(error)}\n`);
    else if (error instanceof ApiUnreachable) io.stderr(`tsbit: ${error.message}\n`);
    else throw error;
    return EXIT_FAILED;
  }
}

interface Output {
  json: boolean;
  print(text: string): void;
  /** Prints text as it is (a log). */
  write(text: string): void;
  /** Prints a line on stderr. */
  warn(text: string): void;
  sleep(ms: number): Promise<void>;
}

async function run(command: Exclude<Command, { type: 'help' }>, api: ApiClient, out: Output): Promise<number> {
  const show = <T>(answer: T, render: (answer: T) => string): number => {
    out.print(out.json ? JSON.stringify(answer, null, 2) : render(answer));
    return EXIT_OK;
  };
  // Following prints one JSON document a line, so a script can read the changes as they come.
  const follow = async (jobs: JobSummary[]): Promise<number> => {
    const finished = await followJobs(jobs, {
      fetchJob: (id) => api.job(id),
      sleep: out.sleep,
      now: Date.now,
      onChange: (job) => out.print(out.json ? JSON.stringify(job) : renderChange(job)),
    });
    return exitCodeOf(finished);
  };

  switch (command.type) {
    case 'submit': {
      const submitted = await api.submit(command.body);
      const jobs = submittedJobs(submitted);
      if (!command.wait) return show(submitted, () => renderSubmitted(jobs));
      if (out.json) out.print(JSON.stringify(submitted));
      else out.print(`${renderSubmitted(jobs)}\n`);
      return follow(jobs);
    }
    case 'jobs':
      return show(await api.jobs(command.query), renderJobPage);
    case 'job':
      return show(await api.job(command.jobId), (job) => renderJob(job, api.resolve));
    case 'watch':
      return follow([await api.job(command.jobId)]);
    case 'cancel':
      return show(await api.cancel(command.jobId), renderChange);
    case 'retry':
      return show(await api.retry(command.jobId), renderChange);
    case 'rebuild-check':
      return show(await api.rebuildCheck(command.jobId), renderChange);
    case 'log': {
      if (command.follow) {
        const end = await followLog({ open: (lastEventId) => api.logEvents(command.jobId, lastEventId), write: out.write, sleep: out.sleep });
        if (end.complete) return EXIT_OK;
        out.warn(`tsbit: the log is not complete: ${end.detail}`);
        return EXIT_FAILED;
      }
      let last = '';
      await api.buildLog(command.jobId, (text) => {
        out.write(text);
        if (text !== '') last = text;
      });
      // A log whose last line is still being written: keep the prompt off it.
      if (last !== '' && !last.endsWith('\n')) out.write('\n');
      return EXIT_OK;
    }
    case 'cancel-package':
      return show(await api.cancelPackage(command.package), (answer) => `cancelled ${answer.cancelled} unfinished job(s) of ${answer.package}`);
    case 'builders':
      return show(await api.builders(), renderBuilders);
    case 'pause':
      return show(await api.pause(command.builder), (answer) => `paused ${answer.name}: it finishes its builds and takes no new one`);
    case 'resume':
      return show(await api.resume(command.builder), (answer) => `resumed ${answer.name}`);
    case 'retire':
      return show(await api.retire(command.builder), (answer) => `removed ${answer.deleted} from the builders`);
    case 'token-issue':
      return show(await api.issueToken(command.name, command.role), renderIssued);
    case 'token-list':
      return show(await api.tokens(), renderTokens);
    case 'token-revoke':
      return show(await api.revokeToken(command.tokenId), (answer) => `revoked token ${answer.tokenId}`);
    default: {
      const unhandled: never = command;
      throw new Error(`unhandled command ${JSON.stringify(unhandled)}`);
    }
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`tsbit: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = EXIT_FAILED;
    },
  );
}
