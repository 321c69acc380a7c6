import { BuildFailure } from '../failure';
import {
  aptSourceCommand,
  checkGitRef,
  dgetCommand,
  dpkgSourceExtractCommand,
  gitCheckoutCommand,
  gitCloneCommand,
  gitResolveCommand,
  hasDebSrc,
  svnExportCommand,
} from '.';

const refused = (run: () => unknown): BuildFailure => {
  try {
    run();
  } catch (error) {
    if (error instanceof BuildFailure) return error;
    throw error;
  }
  throw new Error('expected the value to be refused');
};

describe('git source', () => {
  it('clones with an argument array that ends the options before the URL and the directory', () => {
    expect(gitCloneCommand('https://example.org/hello.git', '/work/src')).toEqual({
      command: 'git',
      args: ['clone', '--quiet', '--no-checkout', '--', 'https://example.org/hello.git', '/work/src'],
    });
  });

  it('refuses a ref that git would read as an option, as a package failure', () => {
    const failure = refused(() => checkGitRef('--upload-pack=evil'));
    expect(failure.failureClass).toBe('package');
    expect(failure.code).toBe('invalid_source');
    expect(failure.message).toContain('source.ref');
  });

  it.each([
    ['--upload-pack=touch /tmp/pwned', 'must not start with'],
    ['-oProxyCommand=evil', 'must not start with'],
    ['ext::sh -c evil', 'must not contain whitespace'],
    ['ext::evil', 'transport helpers'],
    ['fd::17', 'transport helpers'],
    ['ftp://example.org/x.git', 'scheme "ftp:"'],
    ['not a url', 'whitespace'],
    ['relative/path', 'is not a git URL'],
  ])('refuses the URL %j', (url, why) => {
    expect(refused(() => gitCloneCommand(url, '/work/src')).message).toContain(why);
  });

  it.each(['https://example.org/a.git', 'ssh://git@example.org/a.git', 'git@example.org:team/a.git', 'file:///srv/a.git', '/srv/a.git'])(
    'accepts the URL %j',
    (url) => {
      expect(gitCloneCommand(url, '/work/src').args).toContain(url);
    },
  );

  it('resolves refs behind --end-of-options and checks out a commit read as a revision, never as a path', () => {
    expect(gitResolveCommand('/work/src', 'v1.0').args).toEqual(['-C', '/work/src', 'rev-parse', '--verify', '--quiet', '--end-of-options', 'v1.0^{commit}']);
    expect(gitCheckoutCommand('/work/src', 'abc123').args).toEqual(['-C', '/work/src', 'checkout', '--quiet', '--detach', 'abc123', '--']);
  });

  it('takes the default branch for an empty ref and refuses revision expressions', () => {
    expect(checkGitRef('')).toBe('HEAD');
    expect(checkGitRef('release/1.0')).toBe('release/1.0');
    expect(refused(() => checkGitRef('main..evil')).code).toBe('invalid_source');
  });
});

describe('svn source', () => {
  it('exports at a revision with -- before the URL', () => {
    expect(svnExportCommand('https://svn.example.org/repo/trunk', '42', '/work/src')).toEqual({
      command: 'svn',
      args: ['export', '--quiet', '--non-interactive', '-r', '42', '--', 'https://svn.example.org/repo/trunk', '/work/src'],
    });
    expect(svnExportCommand('svn://svn.example.org/repo', '', '/w').args).toContain('HEAD');
  });

  it('refuses revisions and URLs that are not what they claim', () => {
    expect(refused(() => svnExportCommand('https://svn.example.org/r', '-r1', '/w')).message).toContain("must not start with '-'");
    expect(refused(() => svnExportCommand('https://svn.example.org/r', 'trunk', '/w')).message).toContain('not an svn revision');
    expect(refused(() => svnExportCommand('--config-option=x', '1', '/w')).code).toBe('invalid_source');
    expect(refused(() => svnExportCommand('ssh://host/r', '1', '/w')).message).toContain('scheme');
  });
});

describe('apt and dsc sources', () => {
  it('asks apt-get for package=version after --', () => {
    expect(aptSourceCommand('hello', '2.10-3')).toEqual({ command: 'apt-get', args: ['source', '--download-only', '--', 'hello=2.10-3'] });
    expect(refused(() => aptSourceCommand('-o=APT::evil', '1.0')).message).toContain('package');
    expect(refused(() => aptSourceCommand('hello', '1.0 evil')).message).toContain('source.ref');
  });

  it('finds deb-src in one-line and deb822 source files, and not where it is absent or disabled', () => {
    expect(hasDebSrc([{ name: '/etc/apt/sources.list', content: '# deb-src http://x bookworm main\ndeb http://x bookworm main\n' }])).toBe(false);
    expect(hasDebSrc([{ name: '/etc/apt/sources.list', content: 'deb-src http://x bookworm main\n' }])).toBe(true);
    expect(hasDebSrc([{ name: 'debian.sources', content: 'Types: deb\nURIs: http://x\n\nTypes: deb deb-src\nURIs: http://y\n' }])).toBe(true);
    expect(hasDebSrc([{ name: 'debian.sources', content: 'Types: deb deb-src\nURIs: http://y\nEnabled: no\n' }])).toBe(false);
  });

  it('downloads a .dsc with dget -u -d -- and unpacks with dpkg-source -x --', () => {
    expect(dgetCommand('https://example.org/pool/h/hello_1.0.dsc')).toEqual({
      command: 'dget',
      args: ['-u', '-d', '--', 'https://example.org/pool/h/hello_1.0.dsc'],
    });
    expect(refused(() => dgetCommand('https://example.org/hello.tar.gz')).message).toContain('.dsc');
    expect(dpkgSourceExtractCommand('/w/hello_1.0.dsc', '/w/src').args).toEqual(['-x', '--', '/w/hello_1.0.dsc', '/w/src']);
  });
});
