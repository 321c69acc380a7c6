import { execFile } from 'node:child_process';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { isFinished, lookUpUser, makeDebianPackageRepository, startTestFarm, DEFAULT_BUILD_USER } from '@tsbit/farm';
import { option, summary } from './stats';

const run = promisify(execFile);
const BUILD_TIMEOUT_MS = 900_000;
/** The steps the builder takes, with the flags it passes: clone, sbuild, then lintian on the results. */
const BY_HAND = [
  'git clone --quiet "$1" src',
  'sbuild --chroot-mode=unshare --chroot="$2" --dist=bookworm --arch=amd64 --arch-all --no-apt-distupgrade --no-run-lintian --nolog --build-dir="$PWD" -- src >/dev/null',
  'lintian --fail-on none -- *.changes >/dev/null',
].join(' && ');

/**
 * What the farm adds to an sbuild build: the same N builds of a small real Debian package (clone,
 * sbuild in a fresh chroot as the build user, lintian), by hand and through the farm, one of each in
 * turn so that both sides see the same machine. A farm build is timed from POST /job to Done as
 * the client sees it: dispatch, the builder's checks, uploads, publishing's effect on the report.
 */
export async function sbuildOverhead(args: string[]): Promise<void> {
  const builds = option(args, 'builds', 5);
  const user = lookUpUser(DEFAULT_BUILD_USER);
  if (!user) throw new Error(`no build user ${DEFAULT_BUILD_USER}: run sudo tools/prerequisites.sh`);
  const farm = await startTestFarm({ builders: ['bench-sbuild'], heartbeatMs: 5000, builderBackend: 'sbuild', builderArches: ['amd64'] });
  const byHand: number[] = [];
  const throughFarm: number[] = [];
  try {
    for (let index = 0; index < builds; index += 1) {
      // A package of its own per farm build: a job of the same package would supersede the one before.
      const repository = makeDebianPackageRepository({ package: `hello-sbuild${index}` });
      // The build user's own repository, as a packager's by hand would be (git refuses others' by default).
      await run('chown', ['-R', `${user.uid}:${user.gid}`, repository.dir]);
      const dir = mkdtempSync(path.join(tmpdir(), `sbuild-by-hand-${index}-`));
      chownSync(dir, user.uid, user.gid);
      try {
        const handStarted = performance.now();
        await run(
          'runuser',
          ['-u', user.name, '--', 'sh', '-c', BY_HAND, 'sh', repository.url, path.join(user.home, '.cache', 'sbuild', 'bookworm-amd64.tar')],
          { cwd: dir, env: { ...process.env, HOME: user.home }, maxBuffer: 64 * 1024 * 1024 },
        );
        byHand.push((performance.now() - handStarted) / 1000);

        const farmStarted = performance.now();
        const job = await farm.submit({ package: repository.package, version: repository.version, url: repository.url });
        const done = await farm.waitForJob(job.id, 'to finish', isFinished, BUILD_TIMEOUT_MS);
        if (done.status !== 'Done') throw new Error(`job ${job.id} ended ${done.status}: ${JSON.stringify(done.reason)}`);
        throughFarm.push((performance.now() - farmStarted) / 1000);
      } finally {
        rmSync(dir, { recursive: true, force: true });
        rmSync(repository.dir, { recursive: true, force: true });
      }
    }
  } finally {
    await farm.close();
  }
  const total = (values: number[]): number => values.reduce((sum, value) => sum + value, 0);
  const overhead = ((total(throughFarm) - total(byHand)) / total(byHand)) * 100;
  process.stdout.write(
    [
      `builds: ${builds} of each, in turn`,
      `by hand (clone + sbuild) s:  ${summary(byHand)}`,
      `through the farm s:          ${summary(throughFarm)}`,
      `overhead:                    ${overhead.toFixed(1)} %`,
      '',
    ].join('\n'),
  );
}
