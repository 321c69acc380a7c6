import { ApiProblem } from './api-client';
import { EventStreamParser, followLog, MAX_FRUITLESS_RECONNECTS } from './log';

async function* chunks(...texts: string[]): AsyncIterable<string> {
  for (const text of texts) yield text;
}

describe('following a build log', () => {
  it('parses events split anywhere between chunks, with CRLF or LF, skipping comments and the retry field', () => {
    const parser = new EventStreamParser();
    expect(parser.push('retry: 2000\n\nid: 6\ndata: one\ndata: tw')).toEqual([]);
    expect(parser.push('o\r')).toEqual([]);
    expect(parser.push('\n\r\n: keep-alive\n\nevent: end\nid: 6\ndata: {"size":6}\n\n')).toEqual([
      { event: 'message', id: '6', data: 'one\ntwo' },
      { event: 'end', id: '6', data: '{"size":6}' },
    ]);
  });

  it('prints lines as they come and resumes a broken stream from the last id, printing nothing twice', async () => {
    const opened: (string | undefined)[] = [];
    const streams = [chunks('id: 4\ndata: one\n\nid: 8\ndata: two\n\nid: 1'), chunks('id: 12\ndata: six\n\nevent: end\nid: 12\ndata: {"size":12,"complete":true}\n\n')];
    let written = '';
    const sleeps: number[] = [];
    const end = await followLog({
      open: async (lastEventId) => {
        opened.push(lastEventId);
        return streams.shift() ?? chunks();
      },
      write: (text) => (written += text),
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    expect(end).toEqual({ complete: true });
    expect(written).toBe('one\ntwo\nsix\n');
    expect(opened).toEqual([undefined, '8']);
    expect(sleeps).toHaveLength(1);
  });

  it('says when the attempt ended without completing its log', async () => {
    const end = await followLog({ open: async () => chunks('event: end\nid: 0\ndata: {"size":0,"complete":false,"detail":"lease expired"}\n\n'), write: () => undefined, sleep: async () => undefined });
    expect(end).toEqual({ complete: false, detail: 'lease expired' });
  });

  it('gives up after reconnections that bring nothing, and at once when the API refuses', async () => {
    let opens = 0;
    const fruitless = followLog({ open: async () => (opens++, chunks(': keep-alive\n\n')), write: () => undefined, sleep: async () => undefined });
    await expect(fruitless).rejects.toThrow(/without its end/);
    expect(opens).toBe(MAX_FRUITLESS_RECONNECTS);
    const refused = followLog({ open: async () => Promise.reject(new ApiProblem(404, 'job 9 has no build log')), write: () => undefined, sleep: async () => undefined });
    await expect(refused).rejects.toBeInstanceOf(ApiProblem);
  });
});
