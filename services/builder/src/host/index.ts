export { chrootName, decideArchSupport, planFor, qemuInterpreter, type ArchPlan, type ArchSupport, type BuildPlan, type HostFacts, type Unavailable } from './arch-support';
export { hostArchitecture, probeHost, subordinateRangeIn, usableInterpreter, type ProbeOptions } from './probe';
export { chrootSha256 } from './chroot-hash';
