import { catalogDecider, type Catalog } from '@tsbit/domain';
import { withinSuite } from './architectures';

const catalog: Catalog = {
  ...catalogDecider.initialState(),
  suites: { bookworm: { name: 'bookworm', dist: 'debian', arches: [{ arch: 'amd64', masterWeight: 10 }, { arch: 'arm64', masterWeight: 5 }], formats: ['deb'], envs: [], keyrings: [], skipSignatureCheck: false, skipLintian: false } },
};

describe("a VCS hook's architectures", () => {
  it('skips those the suite does not build', () => {
    expect(withinSuite(catalog, 'bookworm', 'arm64,ppc64el,all')).toEqual({ arch: ['arm64', 'all'], skipped: ['ppc64el'] });
    expect(withinSuite(catalog, 'bookworm', ['s390x', 'any', 's390x'])).toEqual({ arch: ['any'], skipped: ['s390x'] });
  });

  it('leaves the list whole when nothing is skipped, nothing would be left, or the suite is unknown, for the submission to judge', () => {
    expect(withinSuite(catalog, 'bookworm', 'amd64, arm64')).toEqual({ arch: 'amd64, arm64', skipped: [] });
    expect(withinSuite(catalog, 'bookworm', 's390x,ppc64el')).toEqual({ arch: 's390x,ppc64el', skipped: [] });
    expect(withinSuite(catalog, 'sid', 'amd64,ppc64el')).toEqual({ arch: 'amd64,ppc64el', skipped: [] });
  });
});
