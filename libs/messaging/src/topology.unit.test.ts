import { buildRoutingKey, eventRoutingKey, InvalidRoutingKey, topologyNames } from './topology';

describe('routing keys and names', () => {
  it('routes a build by format, suite and architecture', () => {
    expect(buildRoutingKey({ format: 'deb', suite: 'bookworm', arch: 'amd64' })).toBe('deb.bookworm.amd64');
    expect(topologyNames('tsbit').buildQueue('deb.bookworm.amd64')).toBe('tsbit.builds.deb.bookworm.amd64');
  });

  it('refuses a part that would break the topic key, naming the field', () => {
    expect(() => buildRoutingKey({ format: 'deb', suite: 'bookworm.backports', arch: 'amd64' })).toThrow(InvalidRoutingKey);
    expect(() => buildRoutingKey({ format: 'deb', suite: 'sid', arch: '#' })).toThrow(/arch "#"/);
  });

  it('routes an event by its stream category and type', () => {
    expect(eventRoutingKey('job-12', 'JobSubmitted')).toBe('job.JobSubmitted');
    expect(eventRoutingKey('catalog', 'SuiteDefined')).toBe('catalog.SuiteDefined');
    expect(eventRoutingKey('publication-12', 'PackagePublished')).toBe('publication.PackagePublished');
  });
});
