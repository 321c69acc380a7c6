import { decideArchSupport, planFor, subordinateRangeIn, usableInterpreter, type HostFacts } from '.';

/** An amd64 machine set up as tools/prerequisites.sh leaves it, for the user tsbit-build. */
const ready: HostFacts = {
  uid: 999,
  user: 'tsbit-build',
  hostArch: 'amd64',
  runsNatively: new Set(['i386']),
  subuid: true,
  subgid: true,
  canUnshare: true,
  sbuildInstalled: true,
  chrootDir: '/var/lib/tsbit-build/.cache/sbuild',
  chroots: new Set(['bookworm-amd64.tar', 'bookworm-i386.tar', 'bookworm-amd64-cross-arm64.tar']),
  binfmt: new Set<string>(),
};
const sbuild = (facts: Partial<HostFacts>, arches = ['amd64', 'i386', 'arm64'], suites = ['bookworm']) =>
  decideArchSupport({ ...ready, ...facts }, { backend: 'sbuild', arches, suites });

describe('how a builder serves each architecture', () => {
  it('builds its own arch and i386 natively from their chroots, arm64 by cross-building', () => {
    expect(sbuild({})).toEqual({
      arches: ['amd64', 'i386', 'arm64'],
      unavailable: [],
      plans: [
        { suite: 'bookworm', arch: 'amd64', mode: 'native', chroot: 'bookworm-amd64.tar' },
        { suite: 'bookworm', arch: 'i386', mode: 'native', chroot: 'bookworm-i386.tar' },
        { suite: 'bookworm', arch: 'arm64', mode: 'cross', chroot: 'bookworm-amd64-cross-arm64.tar' },
      ],
    });
  });

  it('falls back to emulation of a cross build when an arm64 chroot and a usable qemu-aarch64 exist; emulates alone without the cross chroot', () => {
    const both = sbuild({ chroots: new Set([...ready.chroots, 'bookworm-arm64.tar']), binfmt: new Set(['qemu-aarch64']) }, ['arm64']);
    expect(both.plans).toEqual([
      {
        suite: 'bookworm',
        arch: 'arm64',
        mode: 'cross',
        chroot: 'bookworm-amd64-cross-arm64.tar',
        fallback: { suite: 'bookworm', arch: 'arm64', mode: 'emulated', chroot: 'bookworm-arm64.tar' },
      },
    ]);
    const emulatedOnly = sbuild({ chroots: new Set(['bookworm-arm64.tar']), binfmt: new Set(['qemu-aarch64']) }, ['arm64']);
    expect(emulatedOnly.plans).toEqual([{ suite: 'bookworm', arch: 'arm64', mode: 'emulated', chroot: 'bookworm-arm64.tar' }]);
  });

  it('names each missing chroot with the make-chroot.sh command that makes it, and does not advertise its arch', () => {
    const support = sbuild({ chroots: new Set(['bookworm-amd64.tar']) });
    expect(support.arches).toEqual(['amd64']);
    expect(support.unavailable).toEqual([
      expect.objectContaining({ arch: 'i386', code: 'chroot_missing', fix: expect.stringContaining('services/builder/scripts/make-chroot.sh bookworm i386') }),
      expect.objectContaining({ arch: 'arm64', code: 'chroot_missing', fix: expect.stringContaining('make-chroot.sh bookworm amd64 --cross arm64') }),
    ]);
    expect(support.unavailable[0]?.reason).toContain('/var/lib/tsbit-build/.cache/sbuild/bookworm-i386.tar');
  });

  it('does not emulate without a qemu interpreter registered with flag F, and says how to cross-build instead', () => {
    const support = sbuild({ chroots: new Set(['bookworm-arm64.tar']) }, ['arm64']);
    expect(support.unavailable).toEqual([expect.objectContaining({ code: 'emulation_unavailable', fix: expect.stringContaining('--cross arm64') })]);
  });

  it('advertises an arch only when every suite it serves can build it', () => {
    const support = sbuild({}, ['amd64', 'i386'], ['bookworm', 'trixie']);
    expect(support.arches).toEqual([]);
    expect(planFor(support, 'trixie', 'i386')).toMatchObject({ code: 'chroot_missing', fix: expect.stringContaining('make-chroot.sh trixie i386') });
    expect(support.plans).toEqual([]);
  });

  it.each([
    ['running_as_root', { uid: 0, user: 'root' }, 'sudo tools/prerequisites.sh'],
    ['no_subuid_range', { subgid: false }, 'usermod --add-subuids 200000-265535 --add-subgids 200000-265535 tsbit-build'],
    ['unshare_unavailable', { canUnshare: false }, 'kernel.unprivileged_userns_clone=1'],
    ['tool_missing', { sbuildInstalled: false }, 'apt-get install'],
  ] as const)('serves nothing with sbuild on %s, with the fix', (code, facts, fix) => {
    const support = sbuild(facts);
    expect(support.arches).toEqual([]);
    expect(support.unavailable.map((gap) => gap.code)).toEqual([code, code, code]);
    expect(support.unavailable[0]?.fix).toContain(fix);
  });

  it('lets the native back end build the host arch only, even as root', () => {
    const support = decideArchSupport({ ...ready, uid: 0, chroots: new Set() }, { backend: 'native', arches: ['amd64', 'i386'], suites: ['bookworm'] });
    expect(support.arches).toEqual(['amd64']);
    expect(support.plans).toEqual([{ suite: 'bookworm', arch: 'amd64', mode: 'native', chroot: '' }]);
    expect(support.unavailable).toEqual([expect.objectContaining({ arch: 'i386', code: 'arch_unsupported', fix: 'TSBIT_BUILDER_BACKEND=sbuild' })]);
  });
});

describe('what the probe reads', () => {
  it('finds a subordinate range of at least 65536 ids by user name or uid', () => {
    expect(subordinateRangeIn('root:100000:65536\ntsbit-build:200000:65536\n', 'tsbit-build', 999)).toBe(true);
    expect(subordinateRangeIn('999:200000:65536\n', 'tsbit-build', 999)).toBe(true);
    expect(subordinateRangeIn('tsbit-build:200000:1000\n', 'tsbit-build', 999)).toBe(false);
    expect(subordinateRangeIn('', 'tsbit-build', 999)).toBe(false);
  });

  it('takes a binfmt_misc interpreter as usable in a chroot only when enabled with flag F', () => {
    const entry = (state: string, flags: string) => `${state}\ninterpreter /usr/libexec/qemu-binfmt/aarch64-binfmt-P\nflags: ${flags}\noffset 0\nmagic 7f454c46\n`;
    expect(usableInterpreter(entry('enabled', 'POCF'))).toBe(true);
    expect(usableInterpreter(entry('enabled', 'P'))).toBe(false);
    expect(usableInterpreter(entry('disabled', 'POCF'))).toBe(false);
  });
});
