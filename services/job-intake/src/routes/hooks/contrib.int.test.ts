import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { startHarness, type Harness } from '../../testing/harness';

const run = promisify(execFile);
const CONTRIB = path.resolve(__dirname, '../../../../../contrib');

const changelog = (source: string, version: string) => `${source} (${version}) bookworm; urgency=medium\n\n  * New release.\n\n -- A Maintainer <a@example.org>  Tue, 24 Nov 2026 10:00:00 +0000\n`;
/** A debian/control with one binary package per Architecture value given. */
const control = (source: string, ...architectures: string[]) =>
  [`Source: ${source}\nMaintainer: A Maintainer <a@example.org>\n`, ...architectures.map((architecture, n) => `Package: ${source}${n === 0 ? '' : `-${n}`}\nArchitecture: ${architecture}\n`)].join('\n');

/** The sample hooks of contrib/, run as their VCS would run them, against the API listening on a port. */
describe('the sample hooks in contrib/', () => {
  let h: Harness;
  let env: NodeJS.ProcessEnv;
  let work: string;
  beforeAll(async () => {
    h = await startHarness();
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    env = { PATH: process.env.PATH, HOME: process.env.HOME, TSBIT_API_URL: `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`, TSBIT_TOKEN: h.tokens.submitter };
    work = mkdtempSync(path.join(tmpdir(), 'tsbit-contrib-'));
  });
  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await h.close();
  });

  const jobsOf = async (name: string) => {
    await h.project();
    return (await h.app.inject({ method: 'GET', url: `/job?package=${name}&order=oldest` })).json().items as { arch: string; version: string; source: { method: string; url: string; ref: string } }[];
  };
  const writePackage = (dir: string, source: string, version: string, ...architectures: string[]) => {
    mkdirSync(path.join(dir, 'debian'), { recursive: true });
    writeFileSync(path.join(dir, 'debian', 'changelog'), changelog(source, version));
    writeFileSync(path.join(dir, 'debian', 'control'), control(source, ...architectures));
  };
  const archesOf = async (name: string) => (await jobsOf(name)).map((job) => job.arch);

  /** A git repository holding one commit of the package, and the post-receive hook run on its push to main. */
  const pushToGit = async (source: string, ...architectures: string[]) => {
    const repo = path.join(work, `git-${source}`);
    writePackage(repo, source, '1.0-1', ...architectures);
    const git = (...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], { cwd: repo, env });
    await git('init', '-q');
    await git('add', '.');
    await git('commit', '-q', '-m', 'release');
    const commit = (await git('rev-parse', 'HEAD')).stdout.trim();
    const hook = run(path.join(CONTRIB, 'git-post-receive'), [], { cwd: repo, env: { ...env, TSBIT_REPO_URL: `https://git.example.org/${source}.git` } });
    hook.child.stdin?.end(`${'0'.repeat(40)} ${commit} refs/heads/main\n`);
    return hook;
  };

  it('git-post-receive submits the pushed commit of a branch', async () => {
    const repo = path.join(work, 'git');
    writePackage(repo, 'gitpkg', '1.2-1', 'any', 'all');
    const git = (...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], { cwd: repo, env });
    await git('init', '-q');
    await git('add', '.');
    await git('commit', '-q', '-m', 'release');
    const commit = (await git('rev-parse', 'HEAD')).stdout.trim();
    const hook = run(path.join(CONTRIB, 'git-post-receive'), [], { cwd: repo, env: { ...env, TSBIT_REPO_URL: 'https://git.example.org/gitpkg.git' } });
    hook.child.stdin?.end(`${'0'.repeat(40)} ${commit} refs/heads/main\n${commit} ${'0'.repeat(40)} refs/heads/gone\n`);
    expect((await hook).stdout).toContain('tsbit: submitted gitpkg 1.2-1 for bookworm (main, any)');
    expect((await jobsOf('gitpkg')).map((job) => [job.arch, job.source.ref])).toEqual([
      ['amd64', commit],
      ['arm64', commit],
      ['i386', commit],
    ]);
  });

  it('git-post-receive builds on the architectures debian/control names, and on every one for a wildcard', async () => {
    expect((await pushToGit('gitnamed', 'amd64 arm64', 'all')).stdout).toContain('(main, amd64,arm64,all)');
    expect(await archesOf('gitnamed')).toEqual(['amd64', 'arm64']);
    expect((await pushToGit('gitlinux', 'linux-any', 'all')).stdout).toContain('(main, any)');
    expect(await archesOf('gitlinux')).toEqual(['amd64', 'arm64', 'i386']);
  });

  it('git-post-receive says which named architectures the suite does not build, and fails when it builds none', async () => {
    expect((await pushToGit('gitsome', 'arm64 ppc64el')).stdout).toContain('tsbit: submitted gitsome 1.0-1 for bookworm (main, arm64,ppc64el; bookworm does not build ppc64el)');
    expect(await archesOf('gitsome')).toEqual(['arm64']);
    await expect(pushToGit('gitnone', 's390x')).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/tsbit: refused \(422\): .*does not build \\"s390x\\".*not_in_catalogue/) });
    expect(await archesOf('gitnone')).toEqual([]);
  });

  it('svn-post-commit submits each package whose changelog the revision changed, with the architectures of its debian/control', async () => {
    const repos = path.join(work, 'svnrepo');
    const tree = path.join(work, 'svntree');
    await run('svnadmin', ['create', repos], { env });
    writePackage(path.join(tree, 'trunk', 'svnpkg'), 'svnpkg', '0.5-2', 'all', 'all');
    writePackage(path.join(tree, 'trunk', 'svnarm'), 'svnarm', '0.5-2', 'arm64', 'all');
    writePackage(path.join(tree, 'trunk', 'svnmixed'), 'svnmixed', '0.5-2', 'any', 'all');
    writeFileSync(path.join(tree, 'README'), 'not a package\n');
    await run('svn', ['import', '-q', '-m', 'import', tree, `file://${repos}`], { env });
    const { stdout } = await run(path.join(CONTRIB, 'svn-post-commit'), [repos, '1'], { env });
    expect(stdout).toContain('tsbit: submitted svnpkg 0.5-2 for bookworm (all)');
    expect(await jobsOf('svnpkg')).toEqual([expect.objectContaining({ arch: 'amd64', version: '0.5-2', source: { method: 'svn', url: `file://${repos}/trunk/svnpkg`, ref: '1' } })]);
    // The master (amd64) builds the Architecture: all part even though debian/control does not name it.
    expect(stdout).toContain('tsbit: submitted svnarm 0.5-2 for bookworm (arm64,all)');
    expect(await archesOf('svnarm')).toEqual(['arm64', 'amd64']);
    expect(stdout).toContain('tsbit: submitted svnmixed 0.5-2 for bookworm (any)');
    expect(await archesOf('svnmixed')).toEqual(['amd64', 'arm64', 'i386']);
  });

  it('changes-hook submits the source package of a .changes file from its archive, and fails loudly when refused', async () => {
    const changes = path.join(work, 'chpkg_3.0-1_source.changes');
    writeFileSync(changes, 'Format: 1.8\nSource: chpkg (3.0-1)\nVersion: 3.0-1\nDistribution: bookworm\nArchitecture: source\n');
    const { stdout } = await run(path.join(CONTRIB, 'changes-hook'), [changes, 'http://archive.example.org/debian'], { env });
    expect(stdout).toContain('tsbit: submitted chpkg 3.0-1 for bookworm');
    expect((await jobsOf('chpkg'))[0]).toMatchObject({ version: '3.0-1', source: { method: 'apt', url: 'http://archive.example.org/debian', ref: '3.0-1' } });

    writeFileSync(changes, 'Source: chpkg\nVersion: 3.0-2\nDistribution: trixie\n');
    await expect(run(path.join(CONTRIB, 'changes-hook'), [changes], { env })).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('tsbit: refused (422)') });
  });

  it('changes-hook builds on the architectures of the .dsc the .changes lists', async () => {
    const upload = path.join(work, 'upload');
    const tree = path.join(upload, 'dscpkg-2.0');
    writePackage(tree, 'dscpkg', '2.0', 'arm64 i386', 'all');
    mkdirSync(path.join(tree, 'debian', 'source'));
    writeFileSync(path.join(tree, 'debian', 'source', 'format'), '3.0 (native)\n');
    await run('dpkg-source', ['-b', 'dscpkg-2.0'], { cwd: upload, env });
    await run('dpkg-genchanges', ['-S', '-O../dscpkg_2.0_source.changes'], { cwd: tree, env });
    const { stdout } = await run(path.join(CONTRIB, 'changes-hook'), [path.join(upload, 'dscpkg_2.0_source.changes')], { env });
    expect(stdout).toContain('tsbit: submitted dscpkg 2.0 for bookworm (arm64,i386,all)');
    expect(await archesOf('dscpkg')).toEqual(['arm64', 'i386', 'amd64']);
  });
});
