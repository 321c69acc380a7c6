import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { chartDir } from './render';
import { kubernetesTools } from './tools';

/** The one command that values.yaml gives for making the signing key's Secret (the comment under `signing`). */
function documentedCommand(): string {
  const lines = readFileSync(path.join(chartDir, 'values.yaml'), 'utf8').split('\n');
  const start = lines.findIndex((line) => line.includes('Make one with one command:')) + 1;
  return lines
    .slice(start, start + 2)
    .map((line) => line.replace(/^#\s*/, '').replace(/\\$/, ''))
    .join(' ');
}

describe("the repositories' signing key for the cluster", () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'tsbit-signing-'));
  afterAll(() => {
    // The command's gpg leaves an agent per GnuPG home (under TMPDIR, here): stop them.
    for (const home of readdirSync(scratch)) execFileSync('gpgconf', ['--homedir', path.join(scratch, home), '--kill', 'gpg-agent'], { stdio: 'ignore' });
    rmSync(scratch, { recursive: true, force: true });
  });

  it('is made by the documented one-line command, as a Secret holding a private key without a passphrase', () => {
    const command = documentedCommand();
    expect(command).toMatch(/gpg .*--quick-gen-key.* \| kubectl -n tsbit create secret generic tsbit-signing-key --from-file=signing-key\.asc=\/dev\/stdin/);
    // The same command, with kubectl 1.31 printing the Secret instead of sending it to a cluster.
    const runnable = command.replace('| kubectl', `| ${kubernetesTools().kubectl}`) + ' --dry-run=client -o yaml';
    const secret = parse(execFileSync('sh', ['-c', runnable], { encoding: 'utf8', env: { ...process.env, TMPDIR: scratch }, stdio: ['ignore', 'pipe', 'ignore'] })) as {
      kind: string;
      metadata: { name: string };
      data: Record<string, string>;
    };
    expect([secret.kind, secret.metadata.name, Object.keys(secret.data)]).toEqual(['Secret', 'tsbit-signing-key', ['signing-key.asc']]);

    // What the artifact service does with TSBIT_SIGNING_KEY_FILE: import it and find a secret key to sign with.
    const home = mkdtempSync(path.join(scratch, 'import-'));
    execFileSync('gpg', ['--homedir', home, '--batch', '--import'], { input: Buffer.from(secret.data['signing-key.asc'] ?? '', 'base64'), stdio: ['pipe', 'ignore', 'ignore'] });
    const secretKeys = execFileSync('gpg', ['--homedir', home, '--batch', '--with-colons', '--list-secret-keys'], { encoding: 'utf8' });
    expect(secretKeys).toMatch(/^sec:/m);
    expect(secretKeys).toMatch(/^uid:.*tsbit <tsbit@example\.org>/m);
  });
});
