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
  }),
]);
export type Config = Static<typeof configSchema>;
