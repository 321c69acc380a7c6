import { mkdir, readFile, rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { run, runText } from './run';

const KEY_USER_ID = 'tsbit build farm <tsbit@localhost>';
/** ed25519: small signatures, fast to sign on every publish, verified by apt (gpgv) and dnf (gpgme). */
const KEY_ALGORITHM = 'ed25519';

/**
 * The farm's repository signing key, in a GnuPG home of the artifact service's own. The local
 * farm makes it on first start (no passphrase: nobody is there to type one); a cluster imports it
 * from a Secret (TSBIT_SIGNING_KEY_FILE, an armored private key), so that every replica and every
 * restart signs with the key clients trust.
 */
export class SigningKey {
  private constructor(
    readonly gnupgHome: string,
    readonly fingerprint: string,
    readonly publicKeyArmored: string,
    readonly publicKeyBinary: Buffer,
  ) {}

  static async create(options: { gnupgHome: string; keyFile?: string; logger?: Pick<Logger, 'info'> }): Promise<SigningKey> {
    const { gnupgHome } = options;
    await mkdir(gnupgHome, { recursive: true, mode: 0o700 });
    const gpg = (args: string[], input?: string | Buffer) => run('gpg', ['--homedir', gnupgHome, '--batch', '--no-tty', ...args], input === undefined ? {} : { input });
    let fingerprint: string | undefined;
    if (options.keyFile) {
      const armored = await readFile(options.keyFile);
      const imported = await runText('gpg', ['--homedir', gnupgHome, '--batch', '--no-tty', '--import-options', 'import-show', '--with-colons', '--import'], { input: armored });
      fingerprint = fingerprintOf(imported);
      if (!fingerprint) throw new Error(`TSBIT_SIGNING_KEY_FILE ${options.keyFile}: holds no OpenPGP key`);
      if (!(await secretFingerprints(gnupgHome)).includes(fingerprint)) throw new Error(`TSBIT_SIGNING_KEY_FILE ${options.keyFile}: holds a public key only; a private key is needed to sign`);
      options.logger?.info({ fingerprint }, 'repository signing key imported');
    } else {
      fingerprint = (await secretFingerprints(gnupgHome))[0];
      if (!fingerprint) {
        await gpg(['--passphrase', '', '--quick-gen-key', KEY_USER_ID, KEY_ALGORITHM, 'sign', 'never']);
        fingerprint = (await secretFingerprints(gnupgHome))[0];
        if (!fingerprint) throw new Error(`gpg made no key in ${gnupgHome}`);
        options.logger?.info({ fingerprint, gnupgHome }, 'repository signing key made');
      }
    }
    const armored = (await gpg(['--armor', '--export', fingerprint])).toString('utf8');
    const binary = await gpg(['--export', fingerprint]);
    return new SigningKey(gnupgHome, fingerprint, armored, binary);
  }

  private sign(args: string[], input: string, output: string): Promise<Buffer> {
    return run('gpg', ['--homedir', this.gnupgHome, '--batch', '--no-tty', '--yes', '--pinentry-mode', 'loopback', '--passphrase', '', '--local-user', this.fingerprint, '--digest-algo', 'SHA512', ...args, '--output', output, input]);
  }

  /** `InRelease`: the file itself with an inline signature. */
  async clearsign(input: string, output: string): Promise<void> {
    await this.sign(['--clearsign'], input, output);
  }

  /** `Release.gpg` (binary or armored) and `repomd.xml.asc` (armored). */
  async detachSign(input: string, output: string, armor: boolean): Promise<void> {
    await this.sign(['--detach-sign', ...(armor ? ['--armor'] : [])], input, output);
  }

  /** Stops the gpg-agent this key's home started, so that no process outlives the service. */
  async close(): Promise<void> {
    await run('gpgconf', ['--homedir', this.gnupgHome, '--kill', 'gpg-agent']).catch(() => undefined);
  }

  /** Removes the GnuPG home (tests). */
  async destroy(): Promise<void> {
    await this.close();
    await rm(this.gnupgHome, { recursive: true, force: true });
  }
}

async function secretFingerprints(gnupgHome: string): Promise<string[]> {
  const listing = await runText('gpg', ['--homedir', gnupgHome, '--batch', '--no-tty', '--with-colons', '--list-secret-keys']).catch(() => '');
  const fingerprints: string[] = [];
  let inSecretKey = false;
  for (const line of listing.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === 'sec') inSecretKey = true;
    else if (fields[0] === 'ssb' || fields[0] === 'pub') inSecretKey = false;
    else if (fields[0] === 'fpr' && inSecretKey) {
      fingerprints.push(fields[9] as string);
      inSecretKey = false;
    }
  }
  return fingerprints;
}

function fingerprintOf(colons: string): string | undefined {
  const lines = colons.split('\n');
  const primary = lines.findIndex((line) => line.startsWith('pub:') || line.startsWith('sec:'));
  if (primary < 0) return undefined;
  return lines.slice(primary + 1).find((line) => line.startsWith('fpr:'))?.split(':')[9];
}
