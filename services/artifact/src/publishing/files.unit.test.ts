import { KeyedBatcher } from './files';

describe('batches per key', () => {
  it('handles what arrives while a batch runs together in the next one, each request getting its own result or error', async () => {
    const batches: string[][] = [];
    let release!: () => void;
    const firstBatchHeld = new Promise<void>((resolve) => (release = resolve));
    const batcher = new KeyedBatcher<string, string>(async (key, requests) => {
      batches.push([key, ...requests]);
      if (batches.length === 1) await firstBatchHeld;
      return requests.map((request) => (request === 'bad' ? new Error(`refused ${request}`) : `${key}:${request}`));
    }, 10);
    const first = batcher.submit('bookworm', 'a');
    const queued = [batcher.submit('bookworm', 'b'), batcher.submit('bookworm', 'bad'), batcher.submit('bookworm', 'c')];
    const otherKey = batcher.submit('trixie', 'x');
    expect(await otherKey).toBe('trixie:x');
    release();
    expect(await first).toBe('bookworm:a');
    const settled = await Promise.allSettled(queued);
    expect(settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : (outcome.reason as Error).message))).toEqual(['bookworm:b', 'refused bad', 'bookworm:c']);
    expect(batches).toEqual([['bookworm', 'a'], ['trixie', 'x'], ['bookworm', 'b', 'bad', 'c']]);
  });

  it('fails every request of a batch whose work throws, and keeps serving the key', async () => {
    let fail = true;
    const batcher = new KeyedBatcher<number, number>(async (_key, requests) => {
      if (fail) throw new Error('disk full');
      return requests;
    }, 10);
    await expect(batcher.submit('k', 1)).rejects.toThrow('disk full');
    fail = false;
    expect(await batcher.submit('k', 2)).toBe(2);
  });

  it('takes at most the batch size at once', async () => {
    const sizes: number[] = [];
    const batcher = new KeyedBatcher<number, number>(async (_key, requests) => {
      sizes.push(requests.length);
      return requests;
    }, 2);
    await Promise.all([1, 2, 3, 4, 5].map((value) => batcher.submit('k', value)));
    expect(sizes).toEqual([1, 2, 2]);
  });
});
