import { hostname } from 'node:os';
import { defaultStateDir, startFarm } from './farm';

/**
 * `npm start`: the whole farm on this machine with one builder, against the local PostgreSQL and
 * RabbitMQ. Settings come from the same environment variables the services read.
 */
async function main(): Promise<void> {
  const env = process.env;
  const farm = await startFarm({
    databaseUrl: env.TSBIT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    schema: env.TSBIT_PG_SCHEMA ?? 'tsbit',
    amqpUrl: env.TSBIT_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    prefix: env.TSBIT_AMQP_PREFIX ?? 'tsbit',
    gatewayPort: Number(env.TSBIT_GATEWAY_PORT ?? 8080),
    fixedPorts: true,
    stateDir: env.TSBIT_STATE_DIR ?? defaultStateDir(),
    builders: [env.TSBIT_BUILDER_NAME ?? `${hostname()}-builder`],
    heartbeatMs: Number(env.TSBIT_HEARTBEAT_MS ?? 5000),
    logLevel: env.TSBIT_LOG_LEVEL ?? 'info',
    output: (line) => process.stdout.write(`${line}\n`),
    persistTokens: true,
  });
  process.stdout.write(
    [
      '',
      'tsbit is running.',
      `  API:          ${farm.apiUrl}/job`,
      `  API docs:     ${farm.apiUrl}/docs (OpenAPI: ${farm.apiUrl}/openapi.json)`,
      `  Web page:     ${farm.apiUrl}/`,
      `  Admin token:  ${farm.adminToken}  (kept in .tsbit/token)`,
      '  Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    void farm.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`tsbit failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
