/**
 * Debian version ordering, exactly as `dpkg --compare-versions`: [epoch:]upstream[-revision],
 * compared part by part; within a part, runs of non-digits compare character by character with
 * '~' before everything (even the end), letters before other characters, and runs of digits
 * compare as numbers.
 */
const VERSION = /^(?:(\d+):)?([0-9][A-Za-z0-9.+~:-]*?)(?:-([A-Za-z0-9.+~]+))?$/;

interface ParsedVersion {
  epoch: number;
  upstream: string;
  revision: string;
}

function parse(version: string): ParsedVersion | undefined {
  const match = VERSION.exec(version.trim());
  if (!match) return undefined;
  const [, epoch, upstream, revision] = match;
  if (upstream === undefined) return undefined;
  if (epoch === undefined && upstream.includes(':')) return undefined;
  return { epoch: Number(epoch ?? 0), upstream, revision: revision ?? '' };
}

export function isValidDebianVersion(version: string): boolean {
  return version.length > 0 && version.length <= 255 && parse(version) !== undefined;
}

function order(char: string | undefined): number {
  if (char === undefined) return 0;
  if (char === '~') return -1;
  if (/[0-9]/.test(char)) return 0;
  if (/[A-Za-z]/.test(char)) return char.charCodeAt(0);
  return char.charCodeAt(0) + 256;
}

function comparePart(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDifference = 0;
    while ((i < a.length && !/[0-9]/.test(a[i] as string)) || (j < b.length && !/[0-9]/.test(b[j] as string))) {
      const ac = order(a[i]);
      const bc = order(b[j]);
      if (ac !== bc) return ac - bc;
      i += 1;
      j += 1;
    }
    while (a[i] === '0') i += 1;
    while (b[j] === '0') j += 1;
    while (i < a.length && /[0-9]/.test(a[i] as string) && j < b.length && /[0-9]/.test(b[j] as string)) {
      if (!firstDifference) firstDifference = (a.charCodeAt(i) as number) - (b.charCodeAt(j) as number);
      i += 1;
      j += 1;
    }
    if (i < a.length && /[0-9]/.test(a[i] as string)) return 1;
    if (j < b.length && /[0-9]/.test(b[j] as string)) return -1;
    if (firstDifference) return firstDifference;
  }
  return 0;
}

/** Negative when a sorts before b, 0 when equal, positive after. */
export function compareDebianVersions(a: string, b: string): number {
  const left = parse(a);
  const right = parse(b);
  if (!left || !right) throw new Error(`not a Debian version: ${left ? b : a}`);
  if (left.epoch !== right.epoch) return left.epoch - right.epoch;
  return comparePart(left.upstream, right.upstream) || comparePart(left.revision, right.revision);
}
