import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import path from 'node:path';
import { defaultStateDir, startFarm } from './farm';
import { repositoryRoot } from './processes';

/** amd64 machines build i386 natively and arm64 by cross-building or emulation; others their own. */
const LOCAL_ARCHES = process.arch === 'x64' ? 'amd64,i386,arm64' : undefined;

/**
 * The one prerequisites script `.ci/run` and `npm test` use too. As root it sets up what is
 * missing; as anyone else it only says what is missing and the command that fixes it, and the farm
 * starts with what there is (a builder advertises only the architectures it can build).
 */
function checkPrerequisites(): void {
  const script = path.join(repositoryRoot, 'tools', 'prerequisites.sh');
  const asRoot = process.getuid?.() === 0;
  const result = spawnSync(script, asRoot ? [] : ['--check'], { stdio: 'inherit' });
  if (result.status !== 0 && asRoot) throw new Error(`${script} failed (exit ${result.status ?? result.signal})`);
}

/**
 * `npm start`: the whole farm on this machine with one builder, against the local PostgreSQL and
 * RabbitMQ. Settings come from the same environment variables the services read.
 */
async function main(): Promise<void> {
  const env = process.env;
  checkPrerequisites();
  const builderArches = env.TSBIT_BUILDER_ARCHES ?? LOCAL_ARCHES;
  const farm = await startFarm({
    databaseUrl: env.TSBIT_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    schema: env.TSBIT_PG_SCHEMA ?? 'tsbit',
    amqpUrl: env.TSBIT_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
    prefix: env.TSBIT_AMQP_PREFIX ?? 'tsbit',
    gatewayPort: Number(env.TSBIT_GATEWAY_PORT ?? 8080),
    fixedPorts: true,
    stateDir: env.TSBIT_STATE_DIR ?? defaultStateDir(),
    builders: [env.TSBIT_BUILDER_NAME ?? `${hostname()}-builder`],
    // Everything a builder on this machine could build; it advertises those it can and names the rest.
    ...(builderArches ? { builderArches: builderArches.split(',') } : {}),
    builderBackend: env.TSBIT_BUILDER_BACKEND === 'native' ? 'native' : 'sbuild',
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
