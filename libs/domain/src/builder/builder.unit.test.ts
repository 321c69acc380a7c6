import type { BuilderEvent } from '../events';
import { deciderSpec } from '../testing/given-when-then';
import { builderDecider, type Capabilities } from './builder';

const at = '2026-12-01T10:00:00.000Z';
const spec = deciderSpec(builderDecider);
const capabilities: Capabilities = {
  arches: ['amd64', 'arm64'],
  suites: ['bookworm'],
  formats: ['deb'],
  slots: 2,
  archSupport: [
    { suite: 'bookworm', arch: 'amd64', mode: 'native', chroot: 'bookworm-amd64.tar' },
    { suite: 'bookworm', arch: 'arm64', mode: 'cross', chroot: 'bookworm-amd64-cross-arm64.tar' },
  ],
  unavailable: [{ suite: 'bookworm', arch: 'i386', reason: 'no chroot bookworm-i386.tar', fix: 'sudo services/builder/scripts/make-chroot.sh bookworm i386' }],
};
const registered = (change: Partial<Capabilities> = {}): BuilderEvent => ({ type: 'BuilderRegistered', data: { name: 'b1', ...capabilities, ...change, registeredAt: at } });
const lost: BuilderEvent = { type: 'BuilderLost', data: { name: 'b1', lostAt: at } };
const paused: BuilderEvent = { type: 'BuilderPaused', data: { name: 'b1', pausedBy: 'admin', pausedAt: at } };
const resumed: BuilderEvent = { type: 'BuilderResumed', data: { name: 'b1', resumedBy: 'admin', resumedAt: at } };
const retired: BuilderEvent = { type: 'BuilderRetired', data: { name: 'b1', retiredBy: 'admin', retiredAt: at } };

describe('the builder decider', () => {
  describe('registering', () => {
    it('registers a new builder with its capabilities', () => spec.given([]).when({ type: 'RegisterBuilder', name: 'b1', capabilities, at }).then([registered()]));
    it('takes the same hello again as done', () => spec.given([registered()]).when({ type: 'RegisterBuilder', name: 'b1', capabilities, at }).then([]));
    it('records changed capabilities', () =>
      spec.given([registered()]).when({ type: 'RegisterBuilder', name: 'b1', capabilities: { ...capabilities, slots: 4 }, at }).then([registered({ slots: 4 })]));
    it('takes the same hello as done when the log lists its fields in another order', () => {
      const reordered: Capabilities = {
        unavailable: capabilities.unavailable.map(({ suite, arch, reason, fix }) => ({ fix, reason, arch, suite })),
        archSupport: capabilities.archSupport.map(({ suite, arch, mode, chroot }) => ({ chroot, mode, arch, suite })),
        slots: 2,
        formats: ['deb'],
        suites: ['bookworm'],
        arches: ['amd64', 'arm64'],
      };
      spec.given([registered(reordered)]).when({ type: 'RegisterBuilder', name: 'b1', capabilities, at }).then([]);
    });
    it('registers again a builder whose chroot was made while it runs: the arch served, and how, are new', () => {
      const before = { arches: ['amd64'], archSupport: [capabilities.archSupport[0]!], unavailable: [{ suite: 'bookworm', arch: 'arm64', reason: 'no chroot', fix: 'services/builder/scripts/make-chroot.sh bookworm amd64 --cross arm64' }] };
      spec.given([registered(before)]).when({ type: 'RegisterBuilder', name: 'b1', capabilities, at }).then([registered()]);
    });
    it('registers again a builder that now serves an arch another way', () => {
      const emulated = capabilities.archSupport.map((support) => (support.arch === 'arm64' ? { ...support, mode: 'emulated' as const, chroot: 'bookworm-arm64.tar' } : support));
      spec.given([registered()]).when({ type: 'RegisterBuilder', name: 'b1', capabilities: { ...capabilities, archSupport: emulated }, at }).then([registered({ archSupport: emulated })]);
    });
    it('registers again a builder whose reason or fix for an arch it cannot build changed', () => {
      const unavailable = [{ ...capabilities.unavailable[0]!, reason: 'bookworm-i386.tar is not a readable tarball' }];
      spec.given([registered()]).when({ type: 'RegisterBuilder', name: 'b1', capabilities: { ...capabilities, unavailable }, at }).then([registered({ unavailable })]);
    });
    it('keeps how it serves each arch in its state', () => {
      expect(spec.given([registered()]).state).toMatchObject({ status: 'Online', capabilities });
    });
    it('registers a lost builder that comes back', () => spec.given([registered(), lost]).when({ type: 'RegisterBuilder', name: 'b1', capabilities, at }).then([registered()]));
    it('keeps a paused builder paused when it comes back', () => {
      expect(spec.given([registered(), paused, lost, registered()]).state).toMatchObject({ status: 'Paused', paused: true });
    });
  });

  describe('losing', () => {
    it('marks a silent builder lost once', () => {
      spec.given([registered()]).when({ type: 'MarkBuilderLost', name: 'b1', at }).then([lost]);
      spec.given([registered(), lost]).when({ type: 'MarkBuilderLost', name: 'b1', at }).then([]);
    });
  });

  describe('draining', () => {
    it('pauses and resumes a builder once each, recording who did it', () => {
      spec.given([registered()]).when({ type: 'PauseBuilder', name: 'b1', by: 'admin', at }).then([paused]);
      spec.given([registered(), paused]).when({ type: 'PauseBuilder', name: 'b1', by: 'admin', at }).then([]);
      spec.given([registered(), paused]).when({ type: 'ResumeBuilder', name: 'b1', by: 'admin', at }).then([resumed]);
      spec.given([registered()]).when({ type: 'ResumeBuilder', name: 'b1', by: 'admin', at }).then([]);
    });
    it('refuses to pause a builder nobody has heard of', () => spec.given([]).when({ type: 'PauseBuilder', name: 'b1', by: 'admin', at }).thenThrows({ kind: 'not_found' }));
  });

  describe('retiring', () => {
    it('retires a lost or a drained builder', () => {
      spec.given([registered(), lost]).when({ type: 'RetireBuilder', name: 'b1', by: 'admin', at }).then([retired]);
      spec.given([registered(), paused]).when({ type: 'RetireBuilder', name: 'b1', by: 'admin', at }).then([retired]);
    });
    it('refuses to retire an online builder, which would only register again', () =>
      spec.given([registered()]).when({ type: 'RetireBuilder', name: 'b1', by: 'admin', at }).thenThrows({ kind: 'conflict', message: expect.stringContaining('is online') }));
    it('forgets a retired builder: retiring it again is not found, and its next hello registers it anew', () => {
      spec.given([registered(), lost, retired]).when({ type: 'RetireBuilder', name: 'b1', by: 'admin', at }).thenThrows({ kind: 'not_found' });
      spec.given([registered(), paused, retired]).when({ type: 'RegisterBuilder', name: 'b1', capabilities, at }).then([registered()]);
      expect(spec.given([registered(), paused, retired, registered()]).state).toMatchObject({ status: 'Online', paused: false });
    });
  });
});
