import { inParallel } from './parallel';

describe('inParallel', () => {
  it('keeps at most `concurrency` calls in flight and returns results in order', async () => {
    let running = 0;
    let most = 0;
    const results = await inParallel([1, 2, 3, 4, 5], 2, async (n) => {
      running += 1;
      most = Math.max(most, running);
      await Promise.resolve();
      running -= 1;
      return n * 10;
    });
    expect(results).toEqual([10, 20, 30, 40, 50]);
    expect(most).toBe(2);
  });

  it('starts nothing after a failure and throws it', async () => {
    const started: number[] = [];
    await expect(
      inParallel([1, 2, 3, 4], 1, async (n) => {
        started.push(n);
        if (n === 2) throw new Error('two');
      }),
    ).rejects.toThrow('two');
    expect(started).toEqual([1, 2]);
  });
});
