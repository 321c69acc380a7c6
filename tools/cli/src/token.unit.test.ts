import path from 'node:path';
import { tokenFileCandidates } from './token';

describe('where the token file is looked for', () => {
  it('given a folder deep in the repository, then it and every folder above it, nearest first', () => {
    expect(tokenFileCandidates('/work/main/services/builder')).toEqual(
      ['/work/main/services/builder', '/work/main/services', '/work/main', '/work', '/'].map((dir) => path.join(dir, '.tsbit', 'token')),
    );
  });
});
