import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { isFinished, makeDebianPackageRepository, startTestFarm } from '@tsbit/farm';
import { option, summary } from './stats';

const run = promisify(execFile);
const CONCURRENCY = 2;
const BUILD_TIMEOUT_MS = 600_000;

/**
 * The farm's overhead over building by hand: the same N clone-and-build steps, two at a time,
 * first directly, then through the farm with two builders. Also the dispatch time of each job:
 * from the client's POST /job to the build starting on a builder.
 */
export async function farmOverhead(args: string[]): Promise<void> {
  const builds = option(args, 'builds', 20);
  const dispatchSamples = option(args, 'dispatch', 100);
  const repository = makeDebianPackageRepository({ package: 'hello-bench' });

  const directStarted = performance.now();
  await inParallel(builds, CONCURRENCY, async (index) => {
    const dir = mkdtempSync(path.join(tmpdir(), `direct-${index}-`));
    const tree = path.join(dir, 'src');
    await run('git', ['clone', '--quiet', '--no-checkout', '--', repository.url, tree]);
    await run('git', ['-C', tree, 'checkout', '--quiet', '--detach', 'main']);
    await run('dpkg-buildpackage', ['-b', '-uc', '-us'], { cwd: tree });
    rmSync(dir, { recursive: true, force: true });
  });
  const directSeconds = (performance.now() - directStarted) / 1000;

  // The same dpkg-buildpackage as the direct runs: this measures the farm, not sbuild (see sbuild-overhead).
  const farm = await startTestFarm({ builders: ['bench-1', 'bench-2'], heartbeatMs: 5000, builderBackend: 'native' });
  // Distinct package names: a job of the same package would supersede the ones before it.
  const submit = async (index: number) => {
    const postedAt = Date.now();
    const job = await farm.submit({ package: `hello-bench${index}`, version: repository.version, url: repository.url });
    return { id: job.id, postedAt };
  };
  try {
    const farmStarted = performance.now();
    const submitted = [];
    for (let index = 0; index < builds; index += 1) submitted.push(await submit(index));
    for (const { id } of submitted) await farm.waitForJob(id, 'to finish', isFinished, BUILD_TIMEOUT_MS);
    const farmSeconds = (performance.now() - farmStarted) / 1000;

    // Dispatch: one job at a time on an idle farm, so that each measures dispatch, not queueing.
    const dispatch: number[] = [];
    for (let index = 0; index < dispatchSamples; index += 1) {
      const { id, postedAt } = await submit(builds + index);
      const done = await farm.waitForJob(id, 'to finish', isFinished, BUILD_TIMEOUT_MS);
      const started = done.history.find((step) => step.status === 'Building');
      if (started) dispatch.push(Date.parse(started.at) - postedAt);
    }

    const overhead = ((farmSeconds - directSeconds) / directSeconds) * 100;
    process.stdout.write(
      [
        `builds: ${builds}, two at a time`,
        `direct clone + dpkg-buildpackage: ${directSeconds.toFixed(2)} s`,
        `through the farm:                 ${farmSeconds.toFixed(2)} s`,
        `overhead:                         ${overhead.toFixed(1)} %`,
        `dispatch POST /job -> Building (ms): ${summary(dispatch)}`,
        '',
      ].join('\n'),
    );
  } finally {
    await farm.close();
    rmSync(repository.dir, { recursive: true, force: true });
  }
}

async function inParallel(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const index = next;
        next += 1;
        await work(index);
      }
    }),
  );
}
