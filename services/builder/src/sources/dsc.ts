import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from '../process';
import { BuildFailure } from '../failure';
import { expectSuccess, type StepContext } from '../step';
import { verifyDscSignature } from './signature';
import { checkUrl } from './validate';

const DSC_URL_SCHEMES = ['https:', 'http:', 'ftp:', 'file:'];

/** Downloads a .dsc and every file it lists, without unpacking (-d) or checking a signature (-u). */
export function dgetCommand(url: string): Command {
  const checked = checkUrl('source.url', url, DSC_URL_SCHEMES);
  if (!/\.dsc$/.test(new URL(checked).pathname)) throw new BuildFailure('package', 'invalid_source', `source.url: "${url}" does not name a .dsc file`);
  return { command: 'dget', args: ['-u', '-d', '--', checked] };
}

/**
 * dpkg-source verifies the checksums the .dsc lists while it unpacks; a .dsc with only MD5 or
 * SHA-1 sums is refused, because its signature vouches for the files only through them.
 */
export function dpkgSourceExtractCommand(dsc: string, dir: string): Command {
  return { command: 'dpkg-source', args: ['-x', '--require-strong-checksums', '--', dsc, dir] };
}

/** Checks the signature of the one .dsc downloaded into the build's directory, then unpacks it into the source tree. */
export async function unpackDsc(ctx: StepContext): Promise<void> {
  const dscs = (await readdir(ctx.jobDir)).filter((name) => name.endsWith('.dsc'));
  if (dscs.length !== 1) {
    throw new BuildFailure('package', 'source_unavailable', `expected one .dsc after the download, found ${dscs.length}`, true);
  }
  const dsc = path.join(ctx.jobDir, dscs[0] as string);
  await verifyDscSignature(ctx, dsc);
  ctx.log(`dpkg-source -x ${dscs[0]}`);
  expectSuccess(await ctx.exec(dpkgSourceExtractCommand(dsc, ctx.srcDir), { cwd: ctx.jobDir }), 'package', 'source_unpack_failed', 'dpkg-source -x');
}

export async function fetchDsc(ctx: StepContext): Promise<void> {
  ctx.log(`dget ${ctx.job.source.url}`);
  expectSuccess(await ctx.exec(dgetCommand(ctx.job.source.url), { cwd: ctx.jobDir }), 'package', 'source_unavailable', 'dget');
  await unpackDsc(ctx);
}
