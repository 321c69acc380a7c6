/** What a `Range` header asks of a representation `size` bytes long (RFC 9110 §14). */
export type RangeRequest =
  /** No Range, or a unit other than bytes (which a server ignores): the whole representation. */
  | { kind: 'whole' }
  /** One satisfiable range: serve bytes `start` to `end`, both inclusive, with 206. */
  | { kind: 'partial'; start: number; end: number }
  /** Nothing of it can be served: 416 with `Content-Range: bytes *\/size`. */
  | { kind: 'unsatisfiable'; why: string };

const BYTE_RANGE = /^(\d*)-(\d*)$/;

/**
 * One byte range (`bytes=a-b`, `bytes=a-`, `bytes=-n`) against the current size. Several ranges
 * in one request are refused rather than answered as multipart/byteranges: a log reader wants one
 * window of it, and a multipart answer would only cost the server work.
 */
export function parseByteRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined || header.trim() === '') return { kind: 'whole' };
  const [unit, spec = ''] = header.split('=', 2).map((part) => part.trim());
  if (unit?.toLowerCase() !== 'bytes') return { kind: 'whole' };
  const ranges = spec.split(',').map((part) => part.trim());
  if (ranges.length !== 1) return { kind: 'unsatisfiable', why: 'range: only one byte range per request' };
  const match = BYTE_RANGE.exec(ranges[0] as string);
  const [first, last] = match ? [match[1] as string, match[2] as string] : ['', ''];
  if (!match || (first === '' && last === '')) return { kind: 'unsatisfiable', why: 'range: must be bytes=<first>-[<last>] or bytes=-<suffix length>' };
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable', why: `range: an empty suffix of a ${size}-byte log` };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { kind: 'unsatisfiable', why: 'range: the last byte is before the first' };
  if (start >= size) return { kind: 'unsatisfiable', why: `range: starts at ${start}, but the log has ${size} bytes so far` };
  return { kind: 'partial', start, end };
}
