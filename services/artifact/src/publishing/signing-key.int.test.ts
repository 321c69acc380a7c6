import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { run } from './run';
import { SigningKey } from './signing-key';

/** The key with real gpg: made once and kept, or imported from an armored private key (a cluster's Secret). */
describe('the repository signing key', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'tsbit-key-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('is made on first start and kept across restarts', async () => {
    const home = path.join(work, 'made');
    const first = await SigningKey.create({ gnupgHome: home });
    await first.close();
    const again = await SigningKey.create({ gnupgHome: home });
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(again.publicKeyArmored).toContain('-----BEGIN PGP PUBLIC KEY BLOCK-----');
    await again.destroy();
  });

  it('signs with an imported private key, and refuses a file holding only a public key', async () => {
    const origin = await SigningKey.create({ gnupgHome: path.join(work, 'origin') });
    const secretFile = path.join(work, 'secret.asc');
    writeFileSync(secretFile, await run('gpg', ['--homedir', origin.gnupgHome, '--batch', '--armor', '--export-secret-keys', origin.fingerprint]));
    const publicFile = path.join(work, 'public.asc');
    writeFileSync(publicFile, origin.publicKeyArmored);

    const imported = await SigningKey.create({ gnupgHome: path.join(work, 'imported'), keyFile: secretFile });
    expect(imported.fingerprint).toBe(origin.fingerprint);
    const signed = path.join(work, 'Release');
    writeFileSync(signed, 'Suite: bookworm\n');
    await imported.detachSign(signed, `${signed}.gpg`, false);
    const keyring = path.join(work, 'keyring.gpg');
    writeFileSync(keyring, origin.publicKeyBinary);
    await run('gpgv', ['--keyring', keyring, `${signed}.gpg`, signed]);

    await expect(SigningKey.create({ gnupgHome: path.join(work, 'public-only'), keyFile: publicFile })).rejects.toThrow('holds a public key only');
    await Promise.all([origin.destroy(), imported.destroy(), run('gpgconf', ['--homedir', path.join(work, 'public-only'), '--kill', 'gpg-agent'])]);
  });
});
