import { Type, type Static } from '@sinclair/typebox';
import { commonConfigSchema } from '@tsbit/service-kit';

export const configSchema = Type.Composite([
  commonConfigSchema,
  Type.Object({
    TSBIT_PORT: Type.Integer({ default: 8081, minimum: 0, maximum: 65535 }),
    /** Reading is open by default, as in pyBit; set to require a token for every request. */
    TSBIT_READ_NEEDS_TOKEN: Type.Boolean({ default: false }),
    /** JSON file of repository webhooks: [{ repository, secret, package, suites, arch, format }]. */
    TSBIT_HOOKS_FILE: Type.String({ default: '' }),
  }),
]);
export type Config = Static<typeof configSchema>;
