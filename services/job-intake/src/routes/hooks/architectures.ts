import type { Catalog } from '@tsbit/domain';

/** A hook's architecture list, narrowed to what the suite builds, and what was left out. */
export interface SuiteArchitectures {
  arch: string | string[];
  skipped: string[];
}

/**
 * A VCS hook sends the architectures of the package (its debian/control), not of the farm: as in
 * pyBit, those the suite does not build are skipped rather than refusing the commit. The list is
 * left whole when the suite is unknown or builds none of them, so the submission is refused (422)
 * with the catalogue's own words: which suite, which architecture, what it builds.
 */
export function withinSuite(catalog: Catalog, suite: string, requested: string | string[]): SuiteArchitectures {
  const built = catalog.suites[suite]?.arches.map((entry) => entry.arch);
  if (!built) return { arch: requested, skipped: [] };
  const names = (Array.isArray(requested) ? requested : requested.split(',')).map((arch) => arch.trim()).filter(Boolean);
  // "any" and "all" name what the suite builds, whatever it builds.
  const buildable = (arch: string) => arch === 'any' || arch === 'all' || built.includes(arch);
  const kept = names.filter(buildable);
  const skipped = [...new Set(names.filter((arch) => !buildable(arch)))];
  if (skipped.length === 0 || kept.length === 0) return { arch: requested, skipped: [] };
  return { arch: kept, skipped };
}
