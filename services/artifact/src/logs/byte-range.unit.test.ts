import { parseByteRange } from './byte-range';

describe('parseByteRange', () => {
  it.each([
    [undefined, { kind: 'whole' }],
    ['', { kind: 'whole' }],
    ['lines=1-2', { kind: 'whole' }],
    ['bytes=0-99', { kind: 'partial', start: 0, end: 99 }],
    ['bytes=10-', { kind: 'partial', start: 10, end: 999 }],
    ['bytes=900-5000', { kind: 'partial', start: 900, end: 999 }],
    ['bytes=-100', { kind: 'partial', start: 900, end: 999 }],
    ['bytes=-5000', { kind: 'partial', start: 0, end: 999 }],
    ['BYTES = 5-5', { kind: 'partial', start: 5, end: 5 }],
  ])('reads %j of a 1000-byte log', (header, expected) => {
    expect(parseByteRange(header, 1000)).toEqual(expected);
  });

  it.each(['bytes=1000-', 'bytes=2000-3000', 'bytes=-0', 'bytes=5-4', 'bytes=abc', 'bytes=-', 'bytes=0-1,5-6'])('finds %j unsatisfiable, saying why', (header) => {
    const range = parseByteRange(header, 1000);
    expect(range).toMatchObject({ kind: 'unsatisfiable', why: expect.stringMatching(/^range: /) });
  });

  it('finds every range of an empty log unsatisfiable', () => {
    expect(parseByteRange('bytes=0-', 0).kind).toBe('unsatisfiable');
    expect(parseByteRange('bytes=-10', 0).kind).toBe('unsatisfiable');
  });
});
