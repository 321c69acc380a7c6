import { readFile } from 'node:fs/promises';
import path from 'node:path';

/** Where `npm start` keeps the admin token, relative to the repository root (tools/farm). */
export const TOKEN_FILE = path.join('.tsbit', 'token');

/** `.tsbit/token` in `cwd` and in each folder above it, nearest first. */
export function tokenFileCandidates(cwd: string): string[] {
  const candidates: string[] = [];
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    candidates.push(path.join(dir, TOKEN_FILE));
    if (path.dirname(dir) === dir) return candidates;
  }
}

/** The token in the nearest `.tsbit/token`, so the CLI works from anywhere inside the repository. */
export async function findTokenFile(cwd: string): Promise<string | undefined> {
  for (const file of tokenFileCandidates(cwd)) {
    const content = await readFile(file, 'utf8').catch(() => undefined);
    const token = content?.trim();
    if (token) return token;
  }
  return undefined;
}

/** --token, else TSBIT_TOKEN, else the token file; reading needs none on most farms, so none is not an error. */
export async function resolveToken(given: string | undefined, env: NodeJS.ProcessEnv, cwd: string): Promise<string | undefined> {
  return given || env.TSBIT_TOKEN || (await findTokenFile(cwd));
}
