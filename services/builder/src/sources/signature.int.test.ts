import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEBIAN_KEYRINGS } from '@tsbit/domain';
import { BuildFailure } from '../failure';
import { testJob, testStepContext } from '../testing/step-context';
import { fetchDsc } from './dsc';

/** A small real source package of Debian, signed by its maintainer (key 41CE7F0B9F1B8B32). */
const HELLO_DSC_URL = 'http://deb.debian.org/debian/pool/main/h/hello/hello_2.10-3.dsc';
const HELLO_FILES = ['hello_2.10-3.dsc', 'hello_2.10.orig.tar.gz', 'hello_2.10.orig.tar.gz.asc', 'hello_2.10-3.debian.tar.xz'];
const SIGNER = '41CE7F0B9F1B8B32';
const DOWNLOAD_TIMEOUT_MS = 120_000;

describe("a .dsc's signature, checked against the suite's keyrings (real Debian .dsc)", () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'tsbit-signature-test-'));
  const mirror = path.join(scratch, 'mirror');
  let jobs = 0;
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  beforeAll(() => {
    // One download from Debian's archive; the cases below read copies of it by file:// URL.
    mkdirSync(mirror);
    execFileSync('dget', ['-u', '-d', '--', HELLO_DSC_URL], { cwd: mirror, stdio: 'ignore', timeout: DOWNLOAD_TIMEOUT_MS });
  }, DOWNLOAD_TIMEOUT_MS);

  /** A copy of the package whose .dsc `change` rewrites. */
  const copy = (change: (dsc: string) => string = (dsc) => dsc): string => {
    const dir = mkdtempSync(path.join(scratch, 'copy-'));
    for (const file of HELLO_FILES) copyFileSync(path.join(mirror, file), path.join(dir, file));
    const dsc = path.join(dir, 'hello_2.10-3.dsc');
    writeFileSync(dsc, change(readFileSync(dsc, 'latin1')), 'latin1');
    return `file://${dsc}`;
  };

  const fetch = async (url: string, settings: { keyrings?: string[]; skipSignatureCheck?: boolean } = {}) => {
    const job = testJob({ jobId: ++jobs, package: 'hello', version: '2.10-3', source: { method: 'dsc', url, ref: '' }, keyrings: [...DEBIAN_KEYRINGS], ...settings });
    const ctx = testStepContext(job, path.join(scratch, `job-${jobs}`));
    try {
      await fetchDsc(ctx);
      return { ctx, log: ctx.close(), failure: undefined };
    } catch (error) {
      if (!(error instanceof BuildFailure)) throw error;
      return { ctx, log: ctx.close(), failure: error };
    }
  };

  it("takes it, signed by its maintainer, against Debian's keyrings, straight from the archive, and unpacks it", async () => {
    const { ctx, log, failure } = await fetch(HELLO_DSC_URL);
    expect(failure).toBeUndefined();
    expect(log).toContain(`hello_2.10-3.dsc: good signature by key ${SIGNER}`);
    expect(existsSync(path.join(ctx.srcDir, 'debian', 'control'))).toBe(true);
  }, DOWNLOAD_TIMEOUT_MS);

  it('refuses the same .dsc with one byte changed, as bad_signature naming the key, before unpacking', async () => {
    const { ctx, failure } = await fetch(copy((dsc) => dsc.replace('Version: 2.10-3', 'Version: 2.10-4')));
    expect(failure).toMatchObject({ failureClass: 'package', code: 'bad_signature' });
    expect(failure?.message).toContain(`BAD signature by key ${SIGNER}`);
    expect(existsSync(ctx.srcDir)).toBe(false);
  });

  it("refuses it against keyrings that do not hold the signer's key, naming the key", async () => {
    const { failure } = await fetch(copy(), { keyrings: ['/usr/share/keyrings/debian-archive-keyring.gpg'] });
    expect(failure).toMatchObject({ code: 'bad_signature' });
    expect(failure?.message).toContain(`signed by key ${SIGNER}, which is in none of the keyrings`);
  });

  it('refuses it unsigned, or with text outside its signed part', async () => {
    const unsigned = await fetch(copy((dsc) => dsc.split('\n-----BEGIN PGP SIGNATURE-----')[0]!.split('\n').slice(3).join('\n')));
    expect(unsigned.failure).toMatchObject({ code: 'bad_signature' });
    const appended = await fetch(copy((dsc) => `${dsc}Build-Depends: evil\n`));
    expect(appended.failure).toMatchObject({ code: 'bad_signature' });
    expect(appended.failure?.message).toContain('outside its signed part');
  });

  it("builds it unchecked only when the suite chose that; none of its keyrings on the builder is the builder's fault", async () => {
    const unchecked = await fetch(copy(), { keyrings: [], skipSignatureCheck: true });
    expect(unchecked.failure).toBeUndefined();
    expect(unchecked.log).toContain('signature not checked (suite bookworm checks none)');
    expect((await fetch(copy(), { keyrings: [] })).failure).toMatchObject({ failureClass: 'package', code: 'no_keyring' });
    const missing = await fetch(copy(), { keyrings: ['/nonexistent/keyring.gpg'] });
    expect(missing.failure).toMatchObject({ failureClass: 'infrastructure', code: 'keyring_missing' });
    expect(missing.failure?.message).toContain('apt-get install debian-keyring');
  });
});
