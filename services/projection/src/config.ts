import { Type, type Static } from '@sinclair/typebox';
import { commonConfigSchema } from '@tsbit/service-kit';

export const configSchema = Type.Composite([
  commonConfigSchema,
  Type.Object({
    TSBIT_PORT: Type.Integer({ default: 8084, minimum: 0, maximum: 65535 }),
    /** Off for a read-only replica of the read models; one relay publishes at a time anyway. */
    TSBIT_RELAY: Type.Boolean({ default: true }),
  }),
]);
export type Config = Static<typeof configSchema>;
