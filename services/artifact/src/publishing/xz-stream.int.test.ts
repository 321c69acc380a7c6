import { randomBytes } from 'node:crypto';
import { run } from './run';
import { assembleStream, compressBlock } from './xz-stream';

/** Blocks compressed one by one and joined into one stream, checked by xz itself. */
describe('an .xz stream of separately compressed blocks', () => {
  const unxz = (data: Buffer) => run('xz', ['--decompress', '--stdout', '--single-stream'], { input: data });

  it('decompresses, as one single stream, to the chunks in order', async () => {
    const chunks = [Buffer.from('Package: a\n\n'), randomBytes(200_000).toString('hex').slice(0, 150_000), Buffer.from('Package: z\nVersion: 1\n\n')].map((chunk) => Buffer.from(chunk));
    const stream = assembleStream(await Promise.all(chunks.map(compressBlock)));
    await run('xz', ['--test'], { input: stream });
    // --single-stream: what apt does, reading the first stream only.
    expect((await unxz(stream)).equals(Buffer.concat(chunks))).toBe(true);
  });

  it('makes a valid empty stream of no blocks', async () => {
    const stream = assembleStream([]);
    await run('xz', ['--test'], { input: stream });
    expect((await unxz(stream)).length).toBe(0);
  });
});
