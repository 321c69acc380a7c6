import { canonicalEvent } from '@tsbit/contracts';
import type { DomainEvent } from './events';

/** The log's and the wire's form of a domain event, checked against tsbit.events.v1. */
export function serializeEvent(event: DomainEvent): { type: DomainEvent['type']; data: ReturnType<typeof canonicalEvent> } {
  return { type: event.type, data: canonicalEvent(event.type, event.data, 'write') };
}

/**
 * A domain event from its stored form. Fields unknown to this version are dropped and missing
 * ones get their defaults, so events written by older or newer versions still read.
 */
export function deserializeEvent(type: string, data: unknown): DomainEvent {
  return { type, data: canonicalEvent(type, data, 'read') } as DomainEvent;
}
