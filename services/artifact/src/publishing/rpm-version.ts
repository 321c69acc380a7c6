/**
 * rpm's version ordering (rpmvercmp), for "a newer version replaces the older one" in a YUM
 * repository: segments of digits compare as numbers and beat letters, '~' sorts before
 * everything (even the end), '^' after the end but before anything else.
 */
export function compareRpmSegments(a: string, b: string): number {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && !/[A-Za-z0-9~^]/.test(a[i] as string)) i += 1;
    while (j < b.length && !/[A-Za-z0-9~^]/.test(b[j] as string)) j += 1;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i += 1;
      j += 1;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i += 1;
      j += 1;
      continue;
    }
    if (i >= a.length || j >= b.length) break;
    const numeric = /[0-9]/.test(a[i] as string);
    const pattern = numeric ? /[0-9]/ : /[A-Za-z]/;
    let endA = i;
    let endB = j;
    while (endA < a.length && pattern.test(a[endA] as string)) endA += 1;
    while (endB < b.length && pattern.test(b[endB] as string)) endB += 1;
    const segmentA = a.slice(i, endA);
    const segmentB = b.slice(j, endB);
    // A numeric segment is newer than an alphabetic one.
    if (segmentB === '') return numeric ? 1 : -1;
    if (numeric) {
      const trimmedA = segmentA.replace(/^0+/, '');
      const trimmedB = segmentB.replace(/^0+/, '');
      if (trimmedA.length !== trimmedB.length) return trimmedA.length > trimmedB.length ? 1 : -1;
      if (trimmedA !== trimmedB) return trimmedA > trimmedB ? 1 : -1;
    } else if (segmentA !== segmentB) {
      return segmentA > segmentB ? 1 : -1;
    }
    i = endA;
    j = endB;
  }
  if (i >= a.length && j >= b.length) return 0;
  return i >= a.length ? -1 : 1;
}

export interface RpmVersion {
  epoch: number;
  version: string;
  release: string;
}

export function compareRpmVersions(a: RpmVersion, b: RpmVersion): number {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch ? 1 : -1;
  return compareRpmSegments(a.version, b.version) || compareRpmSegments(a.release, b.release);
}

export const formatRpmVersion = (v: RpmVersion): string => `${v.epoch > 0 ? `${v.epoch}:` : ''}${v.version}-${v.release}`;
