import { Type, type Static } from '@sinclair/typebox';
import { commonConfigSchema } from '@tsbit/service-kit';

export const configSchema = Type.Composite([
  commonConfigSchema,
  Type.Object({
    TSBIT_PORT: Type.Integer({ default: 8083, minimum: 0, maximum: 65535 }),
    /** Builders heartbeat this often; a lease lasts 1.5 heartbeats, checked every quarter. */
    TSBIT_HEARTBEAT_MS: Type.Integer({ default: 5000, minimum: 100 }),
  }),
]);
export type Config = Static<typeof configSchema>;
