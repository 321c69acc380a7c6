import { assertNever, DomainError, type Decider } from '../decider';
import type { ArchSupport, ArchUnavailable, BuilderEvent } from '../events';

export interface Capabilities {
  arches: string[];
  suites: string[];
  formats: string[];
  slots: number;
  /** How it serves each (suite, arch) for deb builds: native, cross or emulated. */
  archSupport: ArchSupport[];
  /** What it was asked to serve but cannot, each with the reason and the fix. */
  unavailable: ArchUnavailable[];
}
export type BuilderState =
  | { status: 'Unknown' }
  | { status: 'Online' | 'Paused' | 'Lost'; name: string; capabilities: Capabilities; paused: boolean };

interface At {
  at: string;
}
export type BuilderCommand =
  | (At & { type: 'RegisterBuilder'; name: string; capabilities: Capabilities })
  | (At & { type: 'MarkBuilderLost'; name: string })
  | (At & { type: 'PauseBuilder'; name: string; by: string })
  | (At & { type: 'ResumeBuilder'; name: string; by: string })
  | (At & { type: 'RetireBuilder'; name: string; by: string });

/**
 * Capabilities in a fixed shape: the state is rebuilt from the log, whose objects may list their
 * keys in another order than a hello does, and that must not count as a change.
 */
const canonical = (c: Capabilities): string =>
  JSON.stringify([
    c.arches,
    c.suites,
    c.formats,
    c.slots,
    c.archSupport.map(({ suite, arch, mode, chroot }) => [suite, arch, mode, chroot]),
    c.unavailable.map(({ suite, arch, reason, fix }) => [suite, arch, reason, fix]),
  ]);
// Any change, a chroot made or lost while the builder runs included, registers it again.
const same = (a: Capabilities, b: Capabilities): boolean => canonical(a) === canonical(b);

export const builderDecider: Decider<BuilderCommand, BuilderEvent, BuilderState> = {
  initialState: () => ({ status: 'Unknown' }),
  decide(command, state) {
    switch (command.type) {
      case 'RegisterBuilder':
        if (state.status !== 'Unknown' && state.status !== 'Lost' && same(state.capabilities, command.capabilities)) return [];
        return [{ type: 'BuilderRegistered', data: { name: command.name, ...command.capabilities, registeredAt: command.at } }];
      case 'MarkBuilderLost':
        if (state.status === 'Unknown' || state.status === 'Lost') return [];
        return [{ type: 'BuilderLost', data: { name: command.name, lostAt: command.at } }];
      case 'PauseBuilder':
        if (state.status === 'Unknown') throw new DomainError('not_found', `no builder "${command.name}"`);
        if (state.paused) return [];
        return [{ type: 'BuilderPaused', data: { name: command.name, pausedBy: command.by, pausedAt: command.at } }];
      case 'ResumeBuilder':
        if (state.status === 'Unknown') throw new DomainError('not_found', `no builder "${command.name}"`);
        if (!state.paused) return [];
        return [{ type: 'BuilderResumed', data: { name: command.name, resumedBy: command.by, resumedAt: command.at } }];
      case 'RetireBuilder':
        if (state.status === 'Unknown') throw new DomainError('not_found', `no builder "${command.name}"`);
        // A live builder would register again at its next hello: drain it first, or let it go.
        if (state.status === 'Online') throw new DomainError('conflict', `builder "${command.name}" is online: pause it, or stop it until it is lost, before retiring it`);
        return [{ type: 'BuilderRetired', data: { name: command.name, retiredBy: command.by, retiredAt: command.at } }];
      default:
        return assertNever(command);
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'BuilderRegistered': {
        const { name, arches, suites, formats, slots, archSupport, unavailable } = event.data;
        const paused = state.status === 'Unknown' ? false : state.paused;
        return { status: paused ? 'Paused' : 'Online', name, capabilities: { arches, suites, formats, slots, archSupport, unavailable }, paused };
      }
      case 'BuilderLost':
        return state.status === 'Unknown' ? state : { ...state, status: 'Lost' };
      case 'BuilderPaused':
        return state.status === 'Unknown' ? state : { ...state, status: state.status === 'Lost' ? 'Lost' : 'Paused', paused: true };
      case 'BuilderResumed':
        return state.status === 'Unknown' ? state : { ...state, status: state.status === 'Lost' ? 'Lost' : 'Online', paused: false };
      case 'BuilderRetired':
        return { status: 'Unknown' };
      default:
        return assertNever(event);
    }
  },
};
