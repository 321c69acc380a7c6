import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { commonConfigSchema } from '@tsbit/service-kit';

const repositoryRoot = path.resolve(__dirname, '../../..');

export const configSchema = Type.Composite([
  commonConfigSchema,
  Type.Object({
    TSBIT_PORT: Type.Integer({ default: 8082, minimum: 0, maximum: 65535 }),
    TSBIT_ARTIFACT_DIR: Type.String({ default: path.join(repositoryRoot, '.tsbit', 'artifacts') }),
    TSBIT_MAX_UPLOAD_BYTES: Type.Integer({ default: 2 * 1024 ** 3, minimum: 1 }),
    TSBIT_LOG_LIMIT_BYTES: Type.Integer({ default: 256 * 1024 ** 2, minimum: 1 }),
    /** Root of the signed APT and YUM repositories; '' is `<TSBIT_ARTIFACT_DIR>/repos` (same volume: the pool hard-links the store). */
    TSBIT_REPOSITORY_DIR: Type.String({ default: '' }),
    /** GnuPG home holding the signing key; '' is `<TSBIT_ARTIFACT_DIR>/gnupg`. */
    TSBIT_GNUPG_HOME: Type.String({ default: '' }),
    /** An armored private key to sign the repositories with (a Secret in the cluster); '' makes one on first start. */
    TSBIT_SIGNING_KEY_FILE: Type.String({ default: '' }),
    /** The farm's public address, written into the sources entries and .repo files; '' is TSBIT_API_URL. */
    TSBIT_PUBLIC_URL: Type.String({ default: '' }),
    TSBIT_API_URL: Type.String({ default: 'http://127.0.0.1:8080' }),
  }),
]);
export type Config = Static<typeof configSchema>;

/** Where the repositories, the signing key and the public address are, with the defaults filled in. */
export function publishingSettings(config: Config): { repositoryDir: string; gnupgHome: string; signingKeyFile: string; publicUrl: string } {
  return {
    repositoryDir: config.TSBIT_REPOSITORY_DIR || path.join(config.TSBIT_ARTIFACT_DIR, 'repos'),
    gnupgHome: config.TSBIT_GNUPG_HOME || path.join(config.TSBIT_ARTIFACT_DIR, 'gnupg'),
    signingKeyFile: config.TSBIT_SIGNING_KEY_FILE,
    publicUrl: config.TSBIT_PUBLIC_URL || config.TSBIT_API_URL,
  };
}
