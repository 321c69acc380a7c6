import { jobRequestFrom } from './job-request';

const pyBitFields = { package: 'hello', package_version: '2.10-3', suite: 'bookworm', distribution: 'debian', architecture_list: 'any', format: 'deb', method: 'git' as const, uri: ' https://example.org/hello.git ', vcs_id: 'v2.10' };

describe('a job request', () => {
  it("maps pyBit's form fields onto the job's", () => {
    expect(jobRequestFrom(pyBitFields, 'alice')).toEqual({
      package: 'hello',
      version: '2.10-3',
      suite: 'bookworm',
      dist: 'debian',
      arch: 'any',
      format: 'deb',
      env: '',
      source: { method: 'git', url: 'https://example.org/hello.git', ref: 'v2.10' },
      priority: 0,
      project: 'alice',
      dependsOn: [],
      dependsOnPackages: [],
    });
  });

  it('prefers the JSON fields, treats blank form fields as absent', () => {
    const request = jobRequestFrom({ ...pyBitFields, version: '3.0-1', dist: '', arch: ['amd64'], source: { method: 'svn', url: 'https://svn.example.org/x' }, project: '  ' }, 'alice');
    expect(request).toMatchObject({ version: '3.0-1', dist: 'debian', arch: ['amd64'], source: { method: 'svn', url: 'https://svn.example.org/x', ref: '' }, project: 'alice' });
  });

  it('names the missing field, inside a batch too', () => {
    const { package_version: _version, ...noVersion } = pyBitFields;
    expect(() => jobRequestFrom(noVersion, 'alice', 'jobs.4.')).toThrow(expect.objectContaining({ status: 400, field: 'jobs.4.version' }));
    const { uri: _uri, ...noUri } = pyBitFields;
    expect(() => jobRequestFrom(noUri, 'alice')).toThrow(expect.objectContaining({ field: 'uri' }));
    expect(jobRequestFrom({ ...noUri, method: 'apt' }, 'alice').source).toEqual({ method: 'apt', url: '', ref: 'v2.10' });
    expect(jobRequestFrom({ ...pyBitFields, source: { method: 'apt', ref: '2.10-3' } }, 'alice').source).toEqual({ method: 'apt', url: '', ref: '2.10-3' });
    expect(() => jobRequestFrom({ ...pyBitFields, commands: 'make' }, 'alice')).toThrow(expect.objectContaining({ field: 'commands' }));
    expect(() => jobRequestFrom({ ...pyBitFields, commands: ' ' }, 'alice')).not.toThrow();
  });
});
