import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startTestFarm, type TestFarm } from '@tsbit/farm';
import { waitFor } from '@tsbit/service-kit';
import { main } from './main';

/**
 * The CLI against a real farm (job-intake, scheduler, projection, artifact on real PostgreSQL and
 * RabbitMQ, no builder): every command line runs `main` in-process, as `npm run tsbit` would,
 * and the last tests run the real entry point as a process.
 */

const FARM_START_TIMEOUT_MS = 120_000;
const TEST_TIMEOUT_MS = 60_000;
const REPOSITORY_ROOT = path.resolve(__dirname, '../../..');
jest.setTimeout(TEST_TIMEOUT_MS);

let farm: TestFarm;
/** A folder with no `.tsbit/token` in it or above it. */
let noTokenDir: string;

beforeAll(async () => {
  farm = await startTestFarm({ builders: [], heartbeatMs: 1000 });
  noTokenDir = mkdtempSync(path.join(tmpdir(), 'tsbit-cli-'));
}, FARM_START_TIMEOUT_MS);

afterAll(async () => {
  await farm?.close();
  rmSync(noTokenDir, { recursive: true, force: true });
}, FARM_START_TIMEOUT_MS);

interface Run {
  done: Promise<{ code: number; stdout: string; stderr: string }>;
  stdout(): string;
}

/** Starts a command line; `token: null` leaves the token to the token file. */
function start(args: string[], { token, cwd }: { token?: string | null; cwd?: string } = {}): Run {
  let stdout = '';
  let stderr = '';
  const env: NodeJS.ProcessEnv = { TSBIT_API_URL: farm.farm.apiUrl };
  if (token !== null) env.TSBIT_TOKEN = token ?? farm.farm.adminToken;
  const done = main(args, { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), env, cwd: cwd ?? noTokenDir }).then((code) => ({ code, stdout, stderr }));
  return { done, stdout: () => stdout };
}
const cli = (args: string[], options?: { token?: string | null; cwd?: string }) => start(args, options).done;

/** The ids in the first column of a table (its columns are two spaces apart or more, unlike the `2 of 2 jobs` line). */
const idsIn = (table: string): number[] => [...table.matchAll(/^(\d+) {2,}/gm)].map((match) => Number(match[1]));
const submitArgs = (pkg: string, ...more: string[]) => ['submit', '--package', pkg, '--version', '1.0', '--suite', 'bookworm', '--git', `https://example.org/${pkg}.git`, '--ref', 'main', ...more];

/** Read models lag the log by a moment: wait until the list shows what was written. */
const listed = (pkg: string, count: number) =>
  waitFor(`${count} jobs of ${pkg} listed`, async () => {
    const { stdout } = await cli(['--json', 'jobs', '--package', pkg]);
    const page = JSON.parse(stdout) as { items: { id: number; status: string; reason: { code: string } | null }[] };
    return page.items.length === count ? page.items : undefined;
  });

describe('the tsbit CLI against a farm', () => {
  let adminName: string;
  let amd64Job: number;
  let arm64Job: number;

  it('submits one job per architecture and prints each with its status', async () => {
    const { code, stdout, stderr } = await cli(submitArgs('hello-cli', '--arch', 'amd64,arm64'));

    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +PACKAGE +VERSION +SUITE\/ARCH +STATUS +REASON$/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(/^\d+ +hello-cli +1\.0 +bookworm\/amd64 +Waiting/), expect.stringMatching(/^\d+ +hello-cli +1\.0 +bookworm\/arm64 +Waiting/)]);
    [amd64Job, arm64Job] = idsIn(stdout) as [number, number];
    adminName = (JSON.parse((await cli(['--json', 'token', 'list'])).stdout) as { name: string; role: string }[]).find((token) => token.role === 'admin')!.name;
  });

  it('lists jobs as a table, and pages with a cursor', async () => {
    await listed('hello-cli', 2);

    const { code, stdout } = await cli(['jobs', '--package', 'hello-cli', '--status', 'Waiting,Blocked']);
    expect(code).toBe(0);
    expect(idsIn(stdout)).toEqual([arm64Job, amd64Job]);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe('2 of 2 jobs');

    const firstPage = await cli(['jobs', '--package', 'hello-cli', '--limit', '1']);
    const cursor = /next page: --cursor (\S+)/.exec(firstPage.stdout)?.[1];
    expect(idsIn(firstPage.stdout)).toEqual([arm64Job]);
    expect(idsIn((await cli(['jobs', '--package', 'hello-cli', '--limit', '1', '--cursor', cursor!])).stdout)).toEqual([amd64Job]);
  });

  it('shows one job: status, the reason the scheduler gave, history with its actor, artifacts', async () => {
    await waitFor('the scheduler to say why the job waits', async () => {
      const job = JSON.parse((await cli(['--json', 'job', String(amd64Job)])).stdout) as { reason: { code: string } | null };
      return job.reason?.code === 'no_builder_online';
    });

    const { code, stdout } = await cli(['job', String(amd64Job)]);
    expect(code).toBe(0);
    expect(stdout).toContain(`job:             ${amd64Job}: hello-cli 1.0 bookworm/amd64 deb`);
    expect(stdout).toContain('status:          Waiting');
    expect(stdout).toContain('reason:          no builder online for amd64 [no_builder_online]');
    expect(stdout).toContain('source:          git https://example.org/hello-cli.git main');
    expect(stdout).toContain(`Waiting  JobSubmitted  user:${adminName}`);
    expect(stdout).toContain('artifacts:\n  none');
  });

  it('cancels a job, and watching it ends with exit code 1 as it is not Done', async () => {
    const cancelled = await cli(['cancel', String(amd64Job)]);
    expect(cancelled).toEqual({ code: 0, stdout: `job ${amd64Job} bookworm/amd64: Cancelled (cancelled by ${adminName})\n`, stderr: '' });

    const watched = await cli(['watch', String(amd64Job)]);
    expect(watched.code).toBe(1);
    expect(watched.stdout.trimEnd().split('\n').at(-1)).toBe(`job ${amd64Job} bookworm/amd64: Cancelled (cancelled by ${adminName})`);
  });

  it('asks for a rebuild check, printing the refusal of a job that is not Done with exit code 1', async () => {
    const refused = await cli(['rebuild-check', String(amd64Job)]);
    expect(refused).toEqual({ code: 1, stdout: '', stderr: `tsbit: 409 job ${amd64Job} is Cancelled: only a Done job can be built again to check it (code not_done)\n` });
  });

  it('waits for a submitted job, printing its changes, until cancel-package ends it', async () => {
    const waiting = start(['submit', '--package', 'hello-wait', '--version', '1.0', '--suite', 'bookworm', '--arch', 'all', '--dsc', 'https://example.org/hello-wait_1.0.dsc', '--wait']);
    const [jobId] = await waitFor('the submission to be printed', () => idsIn(waiting.stdout()).length === 1 && idsIn(waiting.stdout()));
    await listed('hello-wait', 1);

    expect(await cli(['cancel-package', 'hello-wait'])).toMatchObject({ code: 0, stdout: 'cancelled 1 unfinished job(s) of hello-wait\n' });

    const { code, stdout } = await waiting.done;
    expect(code).toBe(1);
    expect(stdout).toContain(`job ${jobId} bookworm/amd64: Waiting`);
    expect(stdout.trimEnd().split('\n').at(-1)).toBe(`job ${jobId} bookworm/amd64: Cancelled (every job of hello-wait cancelled by ${adminName})`);
  });

  it('prints a refused submission as the problem the API answered, with its field, and exits 1', async () => {
    const { code, stdout, stderr } = await cli(submitArgs('hello-cli', '--suite', 'sid'));

    expect({ code, stdout }).toEqual({ code: 1, stdout: '' });
    expect(stderr).toMatch(/^tsbit: 422 .*sid.* \(field suite, code not_in_catalogue\)\n$/);
  });

  it('prints a missing build log as a 404, followed or not', async () => {
    expect(await cli(['log', String(arm64Job)])).toEqual({ code: 1, stdout: '', stderr: `tsbit: 404 job ${arm64Job} has no build log\n` });
    expect(await cli(['log', '--follow', String(arm64Job)])).toEqual({ code: 1, stdout: '', stderr: `tsbit: 404 job ${arm64Job} has no build log\n` });
  });

  it('lists builders', async () => {
    expect(await cli(['builders'])).toEqual({ code: 0, stdout: 'no builders\n', stderr: '' });
  });

  it('issues a token that works at once, lists it, and revokes it', async () => {
    const issued = await cli(['token', 'issue', 'ci-cli', 'submitter']);
    expect(issued.code).toBe(0);
    const secret = issued.stdout.trimEnd().split('\n').at(-1)!;
    expect(secret).toMatch(/^tsbit_/);
    const tokenId = /issued token (\S+) for ci-cli \(submitter\)/.exec(issued.stdout)?.[1];

    // A submitter's token may not list tokens (403); an unknown or revoked one is a 401.
    const tokenListWith = (token: string) => cli(['token', 'list'], { token });
    expect((await tokenListWith(secret)).stderr).toMatch(/^tsbit: 403 /);
    expect((await cli(submitArgs('hello-token'), { token: secret })).code).toBe(0);
    expect((await cli(['token', 'list'])).stdout).toMatch(new RegExp(`^${tokenId} +ci-cli +submitter +no +${adminName} `, 'm'));

    expect(await cli(['token', 'revoke', tokenId!])).toMatchObject({ code: 0, stdout: `revoked token ${tokenId}\n` });
    // A revocation takes effect once the read model has it, a moment later.
    await waitFor('the revocation to reach the API', async () => (await tokenListWith(secret)).stderr.startsWith('tsbit: 401 '));
    const refused = await cli(submitArgs('hello-token', '--version', '1.1'), { token: secret });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^tsbit: 401 /);
  });

  it('finds the token in .tsbit/token above the current folder, and goes without one when there is none', async () => {
    const repository = mkdtempSync(path.join(tmpdir(), 'tsbit-cli-repo-'));
    try {
      mkdirSync(path.join(repository, '.tsbit'));
      writeFileSync(path.join(repository, '.tsbit', 'token'), `${farm.farm.adminToken}\n`);
      mkdirSync(path.join(repository, 'services', 'builder'), { recursive: true });

      expect((await cli(['token', 'list'], { token: null, cwd: path.join(repository, 'services', 'builder') })).code).toBe(0);
      expect(await cli(['token', 'list'], { token: null })).toMatchObject({ code: 1, stderr: expect.stringMatching(/^tsbit: 401 /) });
    } finally {
      rmSync(repository, { recursive: true, force: true });
    }
  });

  describe('as a process', () => {
    const run = promisify(execFile);
    // Run from the repository root, as `npm run tsbit` does; its own .tsbit/token belongs to another farm, hence --token.
    const tsbit = (args: string[]) =>
      run(process.execPath, ['--import', 'tsx', 'tools/cli/src/main.ts', ...args], { cwd: REPOSITORY_ROOT, env: { ...process.env, TSBIT_TOKEN: '' } }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
      );

    it('prints the jobs and exits 0', async () => {
      const { code, stdout } = await tsbit(['--api', farm.farm.apiUrl, '--token', farm.farm.adminToken, 'jobs', '--package', 'hello-cli']);
      expect(code).toBe(0);
      expect(idsIn(stdout)).toEqual([arm64Job, amd64Job]);
    });

    it('exits 2 with a usage line naming what is missing', async () => {
      const { code, stderr } = await tsbit(['submit', '--package', 'hello-cli', '--suite', 'bookworm', '--git', '/repo']);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^tsbit: submit: missing --version\nusage: tsbit submit --package P --version V/);
    });
  });
});
