import { access, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from '../process';
import { BuildFailure } from '../failure';
import type { StepContext } from '../step';

const SIGNED_START = '-----BEGIN PGP SIGNED MESSAGE-----';
const SIGNATURE_END = '-----END PGP SIGNATURE-----';
const STATUS_PREFIX = '[GNUPG:] ';
/** What to install when a Debian suite's keyrings are missing on a builder. */
const DEBIAN_KEYRING_PACKAGE = 'debian-keyring';

/** The suite's keyrings that this builder has, and those it lacks. */
export function selectKeyrings(requested: readonly string[], exists: (keyring: string) => boolean): { present: string[]; missing: string[] } {
  const unique = [...new Set(requested)];
  return { present: unique.filter(exists), missing: unique.filter((keyring) => !exists(keyring)) };
}

/**
 * gpgv checks against exactly the keyrings named (and not the user's trustedkeys.kbx, which it
 * reads only when none is named); its machine-readable status goes to stdout.
 */
export function gpgvCommand(keyrings: readonly string[], file: string): Command {
  return { command: 'gpgv', args: ['--status-fd', '1', ...keyrings.flatMap((keyring) => ['--keyring', keyring]), '--', file] };
}

export type SignatureVerdict =
  | { verdict: 'good'; keyId: string; fingerprint: string; signer: string }
  | { verdict: 'bad'; keyId: string; signer: string }
  | { verdict: 'unknown_key'; keyId: string }
  | { verdict: 'expired_or_revoked'; keyId: string; signer: string; status: string }
  | { verdict: 'unsigned' };

/**
 * gpgv's verdict from its status lines (doc/DETAILS of GnuPG). Only a GOODSIG with its VALIDSIG
 * and no other signature that fails is good: a signature by an expired or revoked key, a bad one
 * beside a good one, or one by a key in none of the keyrings is not.
 */
export function parseGpgvStatus(status: string, exitCode: number | null): SignatureVerdict {
  const lines = status
    .split('\n')
    .filter((line) => line.startsWith(STATUS_PREFIX))
    .map((line) => line.slice(STATUS_PREFIX.length).split(' '));
  const first = (keyword: string) => lines.find(([word]) => word === keyword);
  const signer = (fields: string[]) => fields.slice(2).join(' ');
  const bad = first('BADSIG');
  if (bad) return { verdict: 'bad', keyId: bad[1] ?? '', signer: signer(bad) };
  for (const keyword of ['EXPKEYSIG', 'REVKEYSIG', 'EXPSIG']) {
    const found = first(keyword);
    if (found) return { verdict: 'expired_or_revoked', keyId: found[1] ?? '', signer: signer(found), status: keyword };
  }
  const error = first('ERRSIG') ?? first('NO_PUBKEY');
  if (error) return { verdict: 'unknown_key', keyId: error[1] ?? '' };
  const good = first('GOODSIG');
  const valid = first('VALIDSIG');
  if (good && valid && exitCode === 0) return { verdict: 'good', keyId: good[1] ?? '', fingerprint: valid[1] ?? '', signer: signer(good) };
  return { verdict: 'unsigned' };
}

/**
 * A clear-signed file must be nothing but its signed part: gpgv ignores text before and after
 * the armour, which a tool reading the file could still take in.
 */
export function onlySignedContent(content: string): boolean {
  const trimmed = content.trim();
  return trimmed.startsWith(SIGNED_START) && trimmed.endsWith(SIGNATURE_END) && trimmed.indexOf(SIGNED_START, 1) === -1;
}

const badSignature = (message: string): BuildFailure => new BuildFailure('package', 'bad_signature', message);

async function fileExists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Checks the OpenPGP signature of a downloaded .dsc against the suite's keyrings, before anything
 * unpacks or builds it. The files it lists are then checked against its checksums by
 * dpkg-source -x, so a good signature vouches for the whole source package.
 * - a bad, unknown, expired or revoked signature, or none: package failure `bad_signature`,
 *   naming the key id;
 * - none of the suite's keyrings on this builder: infrastructure failure `keyring_missing` (another
 *   builder may have them);
 * - a suite that checks no signature (an admin's explicit choice): said in the log;
 * - a suite that names no keyring and did not choose that: package failure `no_keyring`.
 */
export async function verifyDscSignature(ctx: StepContext, dsc: string, exists: (file: string) => Promise<boolean> = fileExists): Promise<void> {
  const name = path.basename(dsc);
  if (ctx.job.skipSignatureCheck) {
    ctx.log(`${name}: signature not checked (suite ${ctx.job.suite} checks none)`);
    return;
  }
  if (ctx.job.keyrings.length === 0) {
    throw new BuildFailure('package', 'no_keyring', `suite ${ctx.job.suite} names no keyring to check ${name} against; an admin sets its keyrings (or [] to not check)`);
  }
  const found = new Set<string>();
  for (const keyring of ctx.job.keyrings) if (await exists(keyring)) found.add(keyring);
  const { present, missing } = selectKeyrings(ctx.job.keyrings, (keyring) => found.has(keyring));
  if (present.length === 0) {
    throw new BuildFailure(
      'infrastructure',
      'keyring_missing',
      `none of the keyrings of suite ${ctx.job.suite} is on this builder (${missing.join(', ')}); fix: install them (Debian's: apt-get install ${DEBIAN_KEYRING_PACKAGE})`,
    );
  }
  if (missing.length > 0) ctx.log(`keyrings not on this builder, not used: ${missing.join(', ')}`);

  if (!onlySignedContent(await readFile(dsc, 'utf8'))) throw badSignature(`${name} is not signed, or holds text outside its signed part`);
  ctx.log(`gpgv ${name} (keyrings: ${present.join(', ')})`);
  const result = await ctx.exec(gpgvCommand(present, dsc), { cwd: ctx.jobDir, captureStdout: true });
  const verdict = parseGpgvStatus(result.stdout, result.exitCode);
  switch (verdict.verdict) {
    case 'good':
      ctx.log(`${name}: good signature by key ${verdict.keyId} (${verdict.signer}, fingerprint ${verdict.fingerprint})`);
      return;
    case 'bad':
      throw badSignature(`${name}: BAD signature by key ${verdict.keyId} (${verdict.signer}): the file was changed after it was signed`);
    case 'unknown_key':
      throw badSignature(`${name}: signed by key ${verdict.keyId}, which is in none of the keyrings of suite ${ctx.job.suite} (${present.join(', ')})`);
    case 'expired_or_revoked':
      throw badSignature(`${name}: signed by key ${verdict.keyId} (${verdict.signer}), which is ${verdict.status === 'REVKEYSIG' ? 'revoked' : 'expired'} (${verdict.status})`);
    case 'unsigned':
      throw badSignature(`${name}: no valid OpenPGP signature (gpgv exit code ${result.exitCode ?? 'none'})`);
  }
}
