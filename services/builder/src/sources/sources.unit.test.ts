import { BuildFailure } from '../failure';
import {
  aptSourceCommand,
  aptStateDir,
  aptUpdateCommand,
  archiveSources,
  checkGitRef,
  debSrcSources,
  dgetCommand,
  dpkgSourceExtractCommand,
  gitCheckoutCommand,
  gitCloneCommand,
  gitResolveCommand,
  gpgvCommand,
  isStale,
  onlySignedContent,
  parseGpgvStatus,
  selectKeyrings,
  SharedLock,
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

describe('apt source', () => {
  it('asks apt-get of its own state for the source package=version after --', () => {
    expect(aptSourceCommand('hello', '2.10-3', '/w/apt/s').args).toEqual([
      '-o',
      'Dir::State=/w/apt/s/state',
      '-o',
      'Dir::Cache=/w/apt/s/cache',
      '-o',
      'Dir::Etc::SourceList=/w/apt/s/sources.list',
      '-o',
      'Dir::Etc::SourceParts=/w/apt/s/sources.list.d',
      '--quiet',
      'source',
      '--download-only',
      '--only-source',
      '--',
      'hello=2.10-3',
    ]);
    expect(aptUpdateCommand('/w/apt/s').args.slice(-2)).toEqual(['--quiet', 'update']);
    expect(refused(() => aptSourceCommand('-o=APT::evil', '1.0', '/s')).message).toContain('package');
    expect(refused(() => aptSourceCommand('hello', '1.0 evil', '/s')).message).toContain('source.ref');
  });

  it("makes deb-src entries of the host's deb entries, one-line and deb822, keeping their keys and dropping arch filters", () => {
    const sources = debSrcSources([
      { name: '/etc/apt/sources.list', content: '# deb http://old bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] http://x/debian bookworm main contrib # mirror\ndeb cdrom:[Debian]/ bookworm main\n' },
      {
        name: '/etc/apt/sources.list.d/debian.sources',
        content: [
          'Types: deb',
          'URIs: http://deb.debian.org/debian',
          'Suites: bookworm bookworm-updates',
          'Components: main',
          'Architectures: amd64',
          'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
          '',
          'Types: deb deb-src',
          'URIs: http://y',
          'Suites: sid',
          'Components: main',
          'Enabled: no',
          '',
          'Types: deb',
          'URIs: http://z',
          'Suites: trixie',
          'Components: main',
          'Signed-By:',
          ' -----BEGIN PGP PUBLIC KEY BLOCK-----',
          ' .',
          ' mQINBF',
          ' -----END PGP PUBLIC KEY BLOCK-----',
          '',
        ].join('\n'),
      },
    ]);
    expect(sources.list).toBe('deb-src [ signed-by=/k.gpg ] http://x/debian bookworm main contrib\n');
    expect(sources.sources).toBe(
      [
        'Types: deb-src',
        'URIs: http://deb.debian.org/debian',
        'Suites: bookworm bookworm-updates',
        'Components: main',
        'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg',
        '',
        'Types: deb-src',
        'URIs: http://z',
        'Suites: trixie',
        'Components: main',
        'Signed-By:',
        ' -----BEGIN PGP PUBLIC KEY BLOCK-----',
        ' .',
        ' mQINBF',
        ' -----END PGP PUBLIC KEY BLOCK-----',
        '',
      ].join('\n'),
    );
    expect(debSrcSources([{ name: 'sources.list', content: '# nothing\n' }])).toEqual({ list: '', sources: '' });
  });

  it("takes a job's archive URL for its suite, and refuses one that is not http(s)", () => {
    expect(archiveSources('https://deb.example.org/debian', 'bookworm').sources).toBe('Types: deb-src\nURIs: https://deb.example.org/debian\nSuites: bookworm\nComponents: main\n');
    expect(refused(() => archiveSources('file:///etc', 'bookworm')).code).toBe('invalid_source');
  });

  it('keeps one state per set of sources, refreshed when an hour old', () => {
    const one = { list: 'deb-src http://x bookworm main\n', sources: '' };
    expect(aptStateDir('/w/apt', one)).toBe(aptStateDir('/w/apt', { ...one }));
    expect(aptStateDir('/w/apt', one)).not.toBe(aptStateDir('/w/apt', { ...one, list: 'deb-src http://y bookworm main\n' }));
    expect(isStale(undefined, 0)).toBe(true);
    expect(isStale(0, 59 * 60 * 1000)).toBe(false);
    expect(isStale(0, 60 * 60 * 1000)).toBe(true);
  });

  it('runs updates one at a time and never beside a download, downloads side by side, first come first served', async () => {
    const lock = new SharedLock();
    const events: string[] = [];
    const gates: Record<string, () => void> = {};
    const task = (name: string, exclusive: boolean) =>
      lock.run(exclusive, async () => {
        events.push(`start ${name}`);
        await new Promise<void>((release) => (gates[name] = release));
        events.push(`end ${name}`);
      });
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    const all = [task('read1', false), task('read2', false), task('update1', true), task('update2', true), task('read3', false)];
    await settle();
    expect(events).toEqual(['start read1', 'start read2']);
    gates.read1?.();
    gates.read2?.();
    await settle();
    expect(events.slice(-1)).toEqual(['start update1']);
    gates.update1?.();
    await settle();
    expect(events.slice(-2)).toEqual(['end update1', 'start update2']);
    gates.update2?.();
    await settle();
    expect(events.slice(-1)).toEqual(['start read3']);
    gates.read3?.();
    await Promise.all(all);
  });
});

describe('dsc source and signatures', () => {
  const status = (...lines: string[]) => lines.map((line) => `[GNUPG:] ${line}\n`).join('');

  it('checks with gpgv against exactly the keyrings the builder has', () => {
    expect(gpgvCommand(['/k1.gpg', '/k2.gpg'], '/w/hello.dsc')).toEqual({ command: 'gpgv', args: ['--status-fd', '1', '--keyring', '/k1.gpg', '--keyring', '/k2.gpg', '--', '/w/hello.dsc'] });
    expect(selectKeyrings(['/a.gpg', '/b.gpg', '/a.gpg'], (keyring) => keyring === '/b.gpg')).toEqual({ present: ['/b.gpg'], missing: ['/a.gpg'] });
  });

  it("reads gpgv's verdict, naming the signer's key id", () => {
    const good = status('NEWSIG', 'GOODSIG 41CE7F0B9F1B8B32 Santiago Vila <sanvila@debian.org>', 'VALIDSIG D54C3BFAFFB042DE382DA5D741CE7F0B9F1B8B32 2022-12-26 1672079051 0 4 0 1 8 01 D54C3BFAFFB042DE382DA5D741CE7F0B9F1B8B32');
    expect(parseGpgvStatus(good, 0)).toEqual({ verdict: 'good', keyId: '41CE7F0B9F1B8B32', fingerprint: 'D54C3BFAFFB042DE382DA5D741CE7F0B9F1B8B32', signer: 'Santiago Vila <sanvila@debian.org>' });
    expect(parseGpgvStatus(good, 1)).toEqual({ verdict: 'unsigned' });
    expect(parseGpgvStatus(status('NEWSIG', 'BADSIG 41CE7F0B9F1B8B32 Santiago Vila <sanvila@debian.org>'), 1)).toMatchObject({ verdict: 'bad', keyId: '41CE7F0B9F1B8B32' });
    expect(parseGpgvStatus(status('NEWSIG', 'ERRSIG 41CE7F0B9F1B8B32 1 8 01 1672079051 9 D54C3BFAFFB042DE382DA5D741CE7F0B9F1B8B32', 'NO_PUBKEY 41CE7F0B9F1B8B32'), 2)).toEqual({ verdict: 'unknown_key', keyId: '41CE7F0B9F1B8B32' });
    expect(parseGpgvStatus(status('NEWSIG', 'EXPKEYSIG 0123456789ABCDEF Old Key <o@x>', 'VALIDSIG AB 2020-01-01'), 0)).toMatchObject({ verdict: 'expired_or_revoked', status: 'EXPKEYSIG' });
    expect(parseGpgvStatus(status('NODATA 1', 'NODATA 2'), 2)).toEqual({ verdict: 'unsigned' });
  });

  it('takes a clear-signed file only when nothing stands outside its signed part', () => {
    const signed = '-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nSource: x\n-----BEGIN PGP SIGNATURE-----\nabc\n-----END PGP SIGNATURE-----\n';
    expect(onlySignedContent(signed)).toBe(true);
    expect(onlySignedContent(`${signed}Source: evil\n`)).toBe(false);
    expect(onlySignedContent(`Source: evil\n${signed}`)).toBe(false);
    expect(onlySignedContent('Source: x\n')).toBe(false);
  });

  it('downloads a .dsc with dget -u -d -- and unpacks with dpkg-source -x --', () => {
    expect(dgetCommand('https://example.org/pool/h/hello_1.0.dsc')).toEqual({
      command: 'dget',
      args: ['-u', '-d', '--', 'https://example.org/pool/h/hello_1.0.dsc'],
    });
    expect(refused(() => dgetCommand('https://example.org/hello.tar.gz')).message).toContain('.dsc');
    expect(dpkgSourceExtractCommand('/w/hello_1.0.dsc', '/w/src').args).toEqual(['-x', '--require-strong-checksums', '--', '/w/hello_1.0.dsc', '/w/src']);
  });
});
