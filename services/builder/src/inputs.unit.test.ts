import { buildinfoName, filesListedInDsc, normalizedTreeTarCommand } from './inputs';

const DSC = `-----BEGIN PGP SIGNED MESSAGE-----
Hash: SHA512

Format: 3.0 (quilt)
Source: hello
Version: 2.10-3
Checksums-Sha1:
 aaaa 725946 hello_2.10.orig.tar.gz
 bbbb 12688 hello_2.10-3.debian.tar.xz
Checksums-Sha256:
 31e066137a962676e89f69d1b65382de95a7ef7d914b8cb956f41ea72e0f516b 725946 hello_2.10.orig.tar.gz
 1e9ffb0a3e4ba2ad2ba7e3ef1ee5d8b8dbf3b2d9eb6e1c8a6e9ef0d8b0e0f2cf 12688 hello_2.10-3.debian.tar.xz
Files:
 cccc 725946 hello_2.10.orig.tar.gz
 dddd 12688 hello_2.10-3.debian.tar.xz
`;

describe('build inputs', () => {
  it('lists the files a .dsc names, from Checksums-Sha256 or else Files, never a path', () => {
    expect(filesListedInDsc(DSC)).toEqual(['hello_2.10.orig.tar.gz', 'hello_2.10-3.debian.tar.xz']);
    expect(filesListedInDsc('Format: 1.0\nFiles:\n abcd 10 hello_1.0.tar.gz\n')).toEqual(['hello_1.0.tar.gz']);
    expect(filesListedInDsc('Files:\n abcd 10 ../../etc/passwd\n')).toEqual([]);
    expect(filesListedInDsc('Format: 1.0\n')).toEqual([]);
  });

  it('tars the source tree so that only its content counts: sorted, no owners or times, no VCS data', () => {
    expect(normalizedTreeTarCommand('/w/src', '/w/source-tree.tar').args).toEqual([
      '--create',
      '--file=/w/source-tree.tar',
      '--format=gnu',
      '--sort=name',
      '--mtime=@0',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mode=go-w',
      '--exclude-vcs',
      '--directory=/w/src',
      '.',
    ]);
  });

  it('names the .buildinfo among the results', () => {
    expect(buildinfoName(['/w/hello_1.0_arm64.deb', '/w/hello_1.0_arm64.buildinfo'])).toBe('hello_1.0_arm64.buildinfo');
    expect(buildinfoName(['/w/hello-1.0-1.x86_64.rpm'])).toBe('');
  });
});
