import { execFile } from 'node:child_process';

/** Output kept from a tool that failed, for the error message. */
const STDERR_TAIL = 2000;
const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

export class ToolFailed extends Error {
  constructor(
    readonly command: string,
    readonly stderr: string,
  ) {
    super(`${command} failed: ${stderr.slice(-STDERR_TAIL).trim()}`);
    this.name = 'ToolFailed';
  }
}

/** Runs a tool with an argument array (never a shell) and returns its stdout. */
export function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string | Buffer; encoding?: 'utf8' | 'buffer' } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      command,
      args,
      { env: options.env ?? process.env, cwd: options.cwd, encoding: 'buffer', maxBuffer: MAX_OUTPUT_BYTES },
      (error, stdout, stderr) => {
        if (error) reject(new ToolFailed(`${command} ${args.join(' ')}`, `${stderr.toString('utf8')}${error.message}`));
        else resolve(stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

export const runText = async (command: string, args: string[], options: Parameters<typeof run>[2] = {}): Promise<string> => (await run(command, args, options)).toString('utf8');
