import { Type, type Static } from '@sinclair/typebox';
import { commonConfigSchema } from '@tsbit/service-kit';

export const configSchema = Type.Composite([
  commonConfigSchema,
  Type.Object({
    TSBIT_PORT: Type.Integer({ default: 8083, minimum: 0, maximum: 65535 }),
    /** Builders heartbeat this often; a lease lasts 1.5 heartbeats and is checked every quarter. */
    TSBIT_HEARTBEAT_MS: Type.Integer({ default: 5000, minimum: 100 }),
    /** A job whose build dependencies are not installable yet waits this long (doubling each time) before it is queued again. */
    TSBIT_DEPENDENCY_WAIT_BACKOFF_MS: Type.Integer({ default: 60_000, minimum: 0 }),
    /** In a cluster: size the builder pools' Deployments to the work (needs the RBAC in k8s/). */
    TSBIT_SCALE_BUILDER_POOLS: Type.Boolean({ default: false }),
    TSBIT_K8S_NAMESPACE: Type.String({ default: 'tsbit' }),
    TSBIT_POOL_SLOTS_PER_BUILDER: Type.Integer({ default: 1, minimum: 1 }),
  }),
]);
export type Config = Static<typeof configSchema>;
