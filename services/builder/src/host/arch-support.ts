import type { BuildMode } from '@tsbit/domain';
import type { BackendName } from '../config';

/** What the probe found on this machine, as plain data (see probe.ts). */
export interface HostFacts {
  /** The builder process's user. */
  uid: number;
  user: string;
  /** dpkg --print-architecture. */
  hostArch: string;
  /** Architectures whose programs this CPU and kernel run without emulation (arch-test -n). */
  runsNatively: ReadonlySet<string>;
  /** The user has a subordinate uid range, and a gid range, of at least 65536 ids. */
  subuid: boolean;
  subgid: boolean;
  /** Unprivileged user namespaces work (`unshare --user --map-root-user true`). */
  canUnshare: boolean;
  sbuildInstalled: boolean;
  /** Where the chroot tarballs are, and the names of those this user can read. */
  chrootDir: string;
  chroots: ReadonlySet<string>;
  /** binfmt_misc interpreters that are enabled with the F flag (usable inside a chroot), e.g. qemu-aarch64. */
  binfmt: ReadonlySet<string>;
}

/** How one (suite, arch) is built: the mode, and the chroot tarball's file name (sbuild). */
export interface BuildPlan {
  suite: string;
  arch: string;
  mode: BuildMode;
  chroot: string;
}

/** A (suite, arch) this builder was asked to serve but cannot, why, and the command that fixes it. */
export interface Unavailable {
  suite: string;
  arch: string;
  /** A failure code, as a build that hits it reports it (infrastructure class). */
  code: string;
  reason: string;
  fix: string;
}

/** The plan for a (suite, arch), with emulation to fall back on when a cross build cannot install its build dependencies. */
export type ArchPlan = BuildPlan & { fallback?: BuildPlan };

export interface ArchSupport {
  plans: ArchPlan[];
  unavailable: Unavailable[];
  /** The architectures every served suite can build: what the builder advertises. */
  arches: string[];
}

/** The qemu-user interpreter that binfmt_misc registers for each Debian architecture. */
const QEMU_BY_ARCH: Readonly<Record<string, string>> = {
  amd64: 'qemu-x86_64',
  arm64: 'qemu-aarch64',
  armel: 'qemu-arm',
  armhf: 'qemu-arm',
  i386: 'qemu-i386',
  mips64el: 'qemu-mips64el',
  ppc64el: 'qemu-ppc64le',
  riscv64: 'qemu-riscv64',
  s390x: 'qemu-s390x',
};

const MAKE_CHROOT = 'services/builder/scripts/make-chroot.sh';

/** The chroot tarball names the builder looks for (services/builder/scripts/make-chroot.sh makes them). */
export const chrootName = {
  native: (suite: string, arch: string): string => `${suite}-${arch}.tar`,
  cross: (suite: string, buildArch: string, hostArch: string): string => `${suite}-${buildArch}-cross-${hostArch}.tar`,
};

export const qemuInterpreter = (arch: string): string => QEMU_BY_ARCH[arch] ?? `qemu-${arch}`;

/**
 * Decides, from what the probe found, how each (suite, arch) is built and which cannot be, each
 * with the one command that fixes it. Pure: the probe is the only part that looks at the machine.
 *
 * - native back end: the host's own architecture only (dpkg-buildpackage builds for the host).
 * - sbuild: never as root, and only with subuid/subgid ranges and user namespaces; then per arch:
 *   the host's own arch, or one its CPU runs (i386 on amd64), from `<suite>-<arch>.tar`: native;
 *   any other: cross from `<suite>-<host>-cross-<arch>.tar` where it exists (with emulation as the
 *   fall-back when that is possible too), else emulated from `<suite>-<arch>.tar` through binfmt_misc.
 */
export function decideArchSupport(facts: HostFacts, served: { backend: BackendName; arches: readonly string[]; suites: readonly string[] }): ArchSupport {
  const plans: ArchPlan[] = [];
  const unavailable: Unavailable[] = [];
  for (const arch of served.arches) {
    for (const suite of served.suites) {
      const decided = served.backend === 'native' ? nativePlan(facts, suite, arch) : sbuildPlan(facts, suite, arch);
      if ('code' in decided) unavailable.push(decided);
      else plans.push(decided);
    }
  }
  const arches = served.arches.filter((arch) => !unavailable.some((gap) => gap.arch === arch));
  return { plans: plans.filter((plan) => arches.includes(plan.arch)), unavailable, arches };
}

function nativePlan(facts: HostFacts, suite: string, arch: string): ArchPlan | Unavailable {
  if (arch === facts.hostArch) return { suite, arch, mode: 'native', chroot: '' };
  return {
    suite,
    arch,
    code: 'arch_unsupported',
    reason: `the native back end builds only for this machine's architecture (${facts.hostArch}); ${arch} needs sbuild`,
    fix: 'TSBIT_BUILDER_BACKEND=sbuild',
  };
}

function sbuildPlan(facts: HostFacts, suite: string, arch: string): ArchPlan | Unavailable {
  const gap = (code: string, reason: string, fix: string): Unavailable => ({ suite, arch, code, reason, fix });
  if (!facts.sbuildInstalled) return gap('tool_missing', 'sbuild is not installed', 'sudo apt-get install --no-install-recommends sbuild mmdebstrap uidmap');
  if (facts.uid === 0) {
    return gap('running_as_root', "the builder runs as root, and sbuild's unshare mode refuses root", 'sudo tools/prerequisites.sh, then run the builder as the build user tsbit-build (npm start does)');
  }
  if (!facts.subuid || !facts.subgid) {
    const missing = [facts.subuid ? '' : '/etc/subuid', facts.subgid ? '' : '/etc/subgid'].filter(Boolean).join(' and ');
    return gap('no_subuid_range', `the user ${facts.user} has no range of 65536 ids in ${missing}`, `sudo usermod --add-subuids 200000-265535 --add-subgids 200000-265535 ${facts.user}`);
  }
  if (!facts.canUnshare) return gap('unshare_unavailable', 'this kernel does not let unprivileged users create user namespaces', 'sudo sysctl -w kernel.unprivileged_userns_clone=1');

  const nativeChroot = chrootName.native(suite, arch);
  const missingChroot = (name: string, makeArgs: string): Unavailable =>
    gap('chroot_missing', `no readable chroot ${facts.chrootDir}/${name}`, `${MAKE_CHROOT} ${makeArgs}   (as ${facts.user}; or sudo tools/prerequisites.sh)`);
  if (arch === facts.hostArch || facts.runsNatively.has(arch)) {
    return facts.chroots.has(nativeChroot) ? { suite, arch, mode: 'native', chroot: nativeChroot } : missingChroot(nativeChroot, `${suite} ${arch}`);
  }

  const crossChroot = chrootName.cross(suite, facts.hostArch, arch);
  const qemu = qemuInterpreter(arch);
  const emulated: BuildPlan | undefined =
    facts.chroots.has(nativeChroot) && facts.binfmt.has(qemu) ? { suite, arch, mode: 'emulated', chroot: nativeChroot } : undefined;
  if (facts.chroots.has(crossChroot)) return { suite, arch, mode: 'cross', chroot: crossChroot, ...(emulated ? { fallback: emulated } : {}) };
  if (emulated) return emulated;
  if (facts.chroots.has(nativeChroot)) {
    return gap(
      'emulation_unavailable',
      `${nativeChroot} needs ${qemu} registered with binfmt_misc (flag F), and there is no cross chroot ${crossChroot}`,
      `${MAKE_CHROOT} ${suite} ${facts.hostArch} --cross ${arch}   (or: sudo update-binfmts --enable ${qemu})`,
    );
  }
  return missingChroot(crossChroot, `${suite} ${facts.hostArch} --cross ${arch}`);
}

/** The plan for one (suite, arch), or what stands in its way. */
export function planFor(support: ArchSupport, suite: string, arch: string): ArchPlan | Unavailable | undefined {
  return support.plans.find((plan) => plan.suite === suite && plan.arch === arch) ?? support.unavailable.find((gap) => gap.suite === suite && gap.arch === arch);
}
