/**
 * Framing a log's bytes as server-sent events. Each event carries whole lines (several per event
 * when they arrive together) and has as its `id` the byte offset just after its last line, so that
 * a client that reconnects with `Last-Event-ID` resumes exactly where it stopped: no line twice,
 * none missed.
 */

const NEWLINE = 0x0a;

/** One event's worth of a chunk read at some offset, or nothing yet (a line still being written). */
export interface LineBatch {
  /** The bytes the event carries, from the start of the chunk. */
  length: number;
  /** Whether the batch ends in the middle of a line (only when forced: see `takeLines`). */
  cutMidLine: boolean;
}

/**
 * How much of `chunk` to send now: up to its last newline. A line is held back while it is being
 * written, unless `final` (the log is complete: its last line has no newline and never will) or
 * the chunk is full of one line longer than it (`chunkFull`): such a line is cut, at a UTF-8
 * character boundary, and arrives as several lines.
 */
export function takeLines(chunk: Buffer, options: { final: boolean; chunkFull: boolean }): LineBatch | undefined {
  if (chunk.length === 0) return undefined;
  const lastNewline = chunk.lastIndexOf(NEWLINE);
  if (lastNewline >= 0) return { length: lastNewline + 1, cutMidLine: false };
  if (options.final) return { length: chunk.length, cutMidLine: false };
  if (!options.chunkFull) return undefined;
  return { length: utf8Boundary(chunk), cutMidLine: true };
}

/** The longest prefix of `chunk` that does not end inside a multi-byte UTF-8 character. */
function utf8Boundary(chunk: Buffer): number {
  let end = chunk.length;
  // Step back over continuation bytes (10xxxxxx) to the lead byte of the last character...
  let index = end - 1;
  while (index > 0 && end - index < 4 && ((chunk[index] as number) & 0xc0) === 0x80) index -= 1;
  const lead = chunk[index] as number;
  const width = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
  // ...and cut before it if it is not complete.
  if (index + width > end) end = index;
  return end > 0 ? end : chunk.length;
}

const CR = 0x0d;
const DATA_FIELD = Buffer.from('data: ');

/**
 * An SSE event holding `lines` (UTF-8 bytes ending in a newline, or the log's last bytes). Every
 * line break a client would see as one (CR, LF, CRLF) starts a new `data:` field, so that a
 * build's progress bars (CR) cannot end a field early or forge one. Built as bytes, without
 * decoding: a follower of a 100 MiB log encodes 100 MiB.
 */
export function logEvent(lines: Buffer, offsetAfter: number): Buffer {
  let end = lines.length;
  if (end > 0 && lines[end - 1] === NEWLINE) end -= 1;
  if (end > 0 && lines[end - 1] === CR) end -= 1;
  const body = lines.subarray(0, end);
  const head = Buffer.from(`id: ${offsetAfter}\n`);
  if (body.includes(CR)) {
    // Rare (progress bars): the simple way.
    const data = body
      .toString('utf8')
      .split(/\r\n|\r|\n/)
      .map((line) => `data: ${line}\n`)
      .join('');
    return Buffer.concat([head, Buffer.from(data), Buffer.from('\n')]);
  }
  const breaks: number[] = [];
  for (let index = body.indexOf(NEWLINE); index >= 0; index = body.indexOf(NEWLINE, index + 1)) breaks.push(index);
  const event = Buffer.allocUnsafe(head.length + body.length - breaks.length + (breaks.length + 1) * (DATA_FIELD.length + 1) + 1);
  let position = head.copy(event, 0);
  let start = 0;
  for (const lineEnd of [...breaks, body.length]) {
    position += DATA_FIELD.copy(event, position);
    position += body.copy(event, position, start, lineEnd);
    event[position++] = NEWLINE;
    start = lineEnd + 1;
  }
  event[position] = NEWLINE;
  return event;
}

/**
 * The last event: the log's size and sha256 when it is complete, or `complete: false` and why
 * when its attempt ended without completing it (the builder died).
 */
export function endEvent(end: { size: number; sha256: string; complete: true } | { size: number; complete: false; detail?: string }): string {
  return `event: end\nid: ${end.size}\ndata: ${JSON.stringify(end)}\n\n`;
}

/** A comment line: keeps proxies from closing a quiet stream. */
export const KEEP_ALIVE = ': keep-alive\n\n';
