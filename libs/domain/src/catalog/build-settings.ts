import { DomainError } from '../decider';
import type { Suite } from './catalog';

/**
 * Debian's keyrings of people who may upload (debian-keyring), Debian Maintainers and
 * non-uploading members, as the package debian-keyring installs them on a builder. A builder
 * checks against those of them that it has.
 */
export const DEBIAN_KEYRINGS: readonly string[] = [
  '/usr/share/keyrings/debian-keyring.gpg',
  '/usr/share/keyrings/debian-maintainers.gpg',
  '/usr/share/keyrings/debian-nonupload.gpg',
];

/** Debian's release names and aliases, with the suffixes of their side suites (bookworm-backports). */
const DEBIAN_SUITE = /^(sid|unstable|testing|stable|oldstable|oldoldstable|experimental|rc-buggy|jessie|stretch|buster|bullseye|bookworm|trixie|forky|duke)(-[a-z-]+)?$/;
/** An absolute path of letters, digits and ._+-/ only: it reaches gpgv as an argument. */
const KEYRING_PATH = /^\/[A-Za-z0-9._+/-]+$/;
const MAX_KEYRINGS = 16;

/** A suite of Debian: its dist is "debian", or its name is one of Debian's suites. */
export function isDebianSuite(suite: Pick<Suite, 'name' | 'dist'>): boolean {
  return suite.dist.toLowerCase() === 'debian' || DEBIAN_SUITE.test(suite.name);
}

/** The keyrings a suite's .dsc signatures are checked against; `check: false` only by an admin's choice. */
export type SignaturePolicy = { check: false } | { check: true; keyrings: string[] };

/**
 * A suite's keyrings as configured, else its distribution's defaults (Debian's keyrings for
 * Debian suites; none for others, whose dsc and apt jobs are then refused until an admin names
 * keyrings or chooses not to check).
 */
export function signaturePolicy(suite: Pick<Suite, 'name' | 'dist' | 'keyrings' | 'skipSignatureCheck'>): SignaturePolicy {
  if (suite.skipSignatureCheck) return { check: false };
  if (suite.keyrings.length > 0) return { check: true, keyrings: [...suite.keyrings] };
  return { check: true, keyrings: isDebianSuite(suite) ? [...DEBIAN_KEYRINGS] : [] };
}

/** Refuses keyrings that are not absolute paths, and a suite that both names keyrings and skips the check. */
export function checkSuiteSettings(suite: Pick<Suite, 'keyrings' | 'skipSignatureCheck'>): void {
  if (suite.keyrings.length > MAX_KEYRINGS) throw new DomainError('validation', `keyrings: at most ${MAX_KEYRINGS}`, 'keyrings');
  for (const keyring of suite.keyrings) {
    if (!KEYRING_PATH.test(keyring) || keyring.split('/').includes('..')) {
      throw new DomainError('validation', `keyrings: "${keyring}" must be an absolute path on the builders (letters, digits, "._+-/")`, 'keyrings');
    }
  }
  if (suite.skipSignatureCheck && suite.keyrings.length > 0) {
    throw new DomainError('validation', 'keyrings: a suite that skips the signature check names no keyrings', 'keyrings');
  }
}

/** The suite's part of a BuildRequest (tsbit.messages.v1.BuildRequest). */
export interface SuiteBuildSettings {
  keyrings: string[];
  skipSignatureCheck: boolean;
  runLintian: boolean;
}

/**
 * What a build of the suite must do beyond the job itself. A suite no longer in the catalogue
 * gets its distribution's defaults (the job still names its suite and dist).
 */
export function suiteBuildSettings(suite: Suite | undefined, job: { suite: string; dist: string }): SuiteBuildSettings {
  const policy = signaturePolicy(suite ?? { name: job.suite, dist: job.dist, keyrings: [], skipSignatureCheck: false });
  return {
    keyrings: policy.check ? policy.keyrings : [],
    skipSignatureCheck: !policy.check,
    runLintian: !(suite?.skipLintian ?? false),
  };
}
