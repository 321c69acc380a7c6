import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEBIAN_KEYRINGS } from '@tsbit/domain';
import { testJob, testStepContext } from '../testing/step-context';
import { fetchApt } from './apt';

/** apt-get update of bookworm's Sources (about 10 MB) and the download of hello (about 0.7 MB). */
const APT_TEST_TIMEOUT_MS = 300_000;

describe("apt source: a real Debian source package by name and version, without a URL, in the builder's own APT state", () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'tsbit-apt-test-'));
  const stateRoot = path.join(scratch, 'apt');
  let jobs = 0;
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const aptJob = (version: string) => {
    const jobId = ++jobs;
    const job = testJob({ jobId, package: 'hello', version, source: { method: 'apt', url: '', ref: '' }, keyrings: [...DEBIAN_KEYRINGS] });
    return testStepContext(job, path.join(scratch, `job-${jobId}`));
  };
  const hello = () => aptJob('2.10-3');

  it(
    "fetches hello 2.10-3 of bookworm through the builder's own APT state, made from the host's sources; two builds at once update its lists once",
    async () => {
      const [first, second] = [hello(), hello()];
      await Promise.all([fetchApt(first, { stateRoot }), fetchApt(second, { stateRoot })]);
      const logs = [first.close(), second.close()];

      for (const [index, ctx] of [first, second].entries()) {
        expect(readdirSync(ctx.jobDir)).toEqual(expect.arrayContaining(['hello_2.10-3.dsc', 'hello_2.10.orig.tar.gz', 'hello_2.10-3.debian.tar.xz']));
        expect(existsSync(path.join(ctx.srcDir, 'debian', 'control'))).toBe(true);
        expect(logs[index]).toContain('hello_2.10-3.dsc: good signature by key 41CE7F0B9F1B8B32');
      }
      expect(logs.filter((log) => log.includes("[tsbit] apt-get update (the builder's own lists"))).toHaveLength(1);
      // The state is the builder's own, in its work dir: the host's lists are not touched.
      const [state] = readdirSync(stateRoot);
      expect(readdirSync(path.join(stateRoot, state!, 'state', 'lists')).some((name) => name.includes('_source_Sources'))).toBe(true);

      // Within the hour the lists are used as they are.
      const third = hello();
      await fetchApt(third, { stateRoot });
      expect(third.close()).not.toContain('apt-get update');
    },
    APT_TEST_TIMEOUT_MS,
  );

  it('takes its sources from a configured file instead (TSBIT_APT_SOURCES), and fails a version the archive lacks as the package\'s', async () => {
    const sourcesFile = path.join(scratch, 'bookworm.sources');
    writeFileSync(sourcesFile, 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n');
    const ctx = aptJob('0.1-1');
    await expect(fetchApt(ctx, { stateRoot, sourcesFile })).rejects.toMatchObject({ failureClass: 'package', code: 'source_unavailable' });
    const log = ctx.close();
    expect(log).toContain(`apt-get update (the builder's own lists, from ${sourcesFile})`);
    expect(readdirSync(stateRoot)).toHaveLength(2);
  }, APT_TEST_TIMEOUT_MS);
});
