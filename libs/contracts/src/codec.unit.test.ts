import { canonicalEvent, canonicalMessage, ContractViolation } from './codec';

describe('canonical event JSON', () => {
  it('keeps default-valued fields and writes timestamps as RFC 3339', () => {
    const json = canonicalEvent('JobQueued', { jobId: 7, routingKey: 'deb.bookworm.amd64', queuedAt: '2026-01-02T03:04:05Z' });
    expect(json).toEqual({ jobId: 7, attempt: 0, routingKey: 'deb.bookworm.amd64', queuedAt: '2026-01-02T03:04:05Z' });
  });

  it('refuses unknown fields when writing but ignores them when reading', () => {
    expect(() => canonicalEvent('JobQueued', { jobId: 1, colour: 'red' })).toThrow(ContractViolation);
    expect(canonicalEvent('JobQueued', { jobId: 1, colour: 'red' }, 'read').jobId).toBe(1);
  });

  it('refuses a value of the wrong type, naming the contract', () => {
    expect(() => canonicalEvent('JobSubmitted', { jobId: 'seven' })).toThrow(/JobSubmitted/);
  });

  it('refuses a type that is not in the contracts', () => {
    expect(() => canonicalEvent('JobExploded', {})).toThrow(/not an event type/);
  });

  it('writes 64-bit sizes as decimal strings, as canonical proto3 JSON does', () => {
    const json = canonicalEvent('ArtifactStored', { jobId: 1, size: 5_000_000_000 });
    expect(json.size).toBe('5000000000');
  });

  it('encodes the oneof of a builder report by its case name', () => {
    const json = canonicalMessage('BuilderReport', { builder: 'b1', started: { jobId: 3, attempt: 1, mode: 'cross' } });
    expect(json.started).toEqual({ jobId: 3, attempt: 1, mode: 'cross' });
  });
});
