import { endEvent, logEvent, takeLines } from './sse-lines';

describe('SSE framing of a log', () => {
  const take = (text: string | Buffer, options = { final: false, chunkFull: false }) => takeLines(Buffer.from(text), options);

  it('sends up to the last newline and holds back a line still being written', () => {
    expect(take('one\ntwo\nthr')).toEqual({ length: 8, cutMidLine: false });
    expect(take('partial')).toBeUndefined();
    expect(take('')).toBeUndefined();
  });

  it("sends a complete log's last line without its newline", () => {
    expect(take('last', { final: true, chunkFull: false })).toEqual({ length: 4, cutMidLine: false });
  });

  it('cuts a line longer than a whole chunk, never inside a UTF-8 character', () => {
    const chunk = Buffer.concat([Buffer.from('ab'), Buffer.from('é')]).subarray(0, 3);
    expect(takeLines(chunk, { final: false, chunkFull: true })).toEqual({ length: 2, cutMidLine: true });
    const euro = Buffer.from('xx€');
    expect(takeLines(euro, { final: false, chunkFull: true })).toEqual({ length: 5, cutMidLine: true });
    expect(takeLines(euro.subarray(0, 4), { final: false, chunkFull: true })).toEqual({ length: 2, cutMidLine: true });
  });

  it('makes one event of several lines, with the offset after them as its id', () => {
    expect(logEvent(Buffer.from('one\ntwo\n'), 108).toString()).toBe('id: 108\ndata: one\ndata: two\n\n');
  });

  it('keeps empty lines and a last line without its newline, and passes UTF-8 through', () => {
    expect(logEvent(Buffer.from('a\n\nb\n'), 5).toString()).toBe('id: 5\ndata: a\ndata: \ndata: b\n\n');
    expect(logEvent(Buffer.from('ünïcode'), 9).toString()).toBe('id: 9\ndata: ünïcode\n\n');
    expect(logEvent(Buffer.from('\n'), 1).toString()).toBe('id: 1\ndata: \n\n');
  });

  it('turns every CR and CRLF into a new data field, so that no line can end a field early', () => {
    expect(logEvent(Buffer.from('10%\r20%\r\nevent: end\n'), 20).toString()).toBe('id: 20\ndata: 10%\ndata: 20%\ndata: event: end\n\n');
  });

  it('ends with the size and sha256, or says the log was never completed', () => {
    expect(endEvent({ size: 3, sha256: 'ab', complete: true })).toBe('event: end\nid: 3\ndata: {"size":3,"sha256":"ab","complete":true}\n\n');
    expect(endEvent({ size: 3, complete: false, detail: 'over' })).toContain('"complete":false');
  });
});
