import type { ExpectedVersion, NewEvent, StreamAppend } from './port';

/**
 * Argument checks shared by every adapter, so that both refuse the same bad input with the same
 * message (naming the field and the rule) before anything reaches a server.
 */

const isPlainObject = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);

export function checkStream(stream: unknown, field = 'stream'): void {
  if (typeof stream !== 'string' || stream.length === 0) throw new TypeError(`${field} must be a non-empty string`);
}

export function checkExpectedVersion(expected: unknown, field = 'expectedVersion'): asserts expected is ExpectedVersion {
  if (expected === 'any' || expected === 'no_stream') return;
  if (typeof expected !== 'number' || !Number.isSafeInteger(expected) || expected < 0) {
    throw new RangeError(`${field} must be 'any', 'no_stream' or an integer >= 0 (the version of the stream's last event), got ${String(expected)}`);
  }
}

export function checkEvents(events: unknown, field = 'events'): asserts events is NewEvent[] {
  if (!Array.isArray(events)) throw new TypeError(`${field} must be an array`);
  events.forEach((event: unknown, index) => {
    if (!isPlainObject(event)) throw new TypeError(`${field}[${index}] must be an object`);
    const { type, data, metadata } = event as Record<string, unknown>;
    if (typeof type !== 'string' || type.length === 0) throw new TypeError(`${field}[${index}].type must be a non-empty string`);
    if (!isPlainObject(data)) throw new TypeError(`${field}[${index}].data must be a JSON object`);
    if (metadata !== undefined && !isPlainObject(metadata)) throw new TypeError(`${field}[${index}].metadata must be a JSON object when given`);
  });
}

export function checkAppend(stream: unknown, events: unknown, expectedVersion: unknown, field = ''): void {
  checkStream(stream, `${field}stream`);
  checkEvents(events, `${field}events`);
  checkExpectedVersion(expectedVersion, `${field}expectedVersion`);
}

/** One entry per stream: a second one would be checked against a version the first is changing. */
export function checkAppends(appends: unknown): asserts appends is StreamAppend[] {
  if (!Array.isArray(appends)) throw new TypeError('appends must be an array');
  const seen = new Set<string>();
  appends.forEach((append: unknown, index) => {
    if (!isPlainObject(append)) throw new TypeError(`appends[${index}] must be an object`);
    const { stream, events, expectedVersion } = append as Record<string, unknown>;
    checkAppend(stream, events, expectedVersion, `appends[${index}].`);
    if (seen.has(stream as string)) throw new RangeError(`appends[${index}].stream: "${String(stream)}" appears more than once; give each stream one entry per call`);
    seen.add(stream as string);
  });
}

export function checkFromVersion(fromVersion: unknown): void {
  if (typeof fromVersion !== 'number' || !Number.isSafeInteger(fromVersion) || fromVersion < 0) {
    throw new RangeError(`fromVersion must be an integer >= 0, got ${String(fromVersion)}`);
  }
}

export function checkPosition(position: unknown, field: string): void {
  if (typeof position !== 'bigint' || position < 0n) throw new RangeError(`${field} must be a bigint >= 0n, got ${String(position)}`);
}

export function checkLimit(limit: unknown): void {
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1) throw new RangeError(`limit must be an integer >= 1, got ${String(limit)}`);
}
