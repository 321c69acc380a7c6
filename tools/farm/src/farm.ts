import { chmod, chown, mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { waitFor } from '@tsbit/service-kit';
import { builderUser, DEFAULT_BUILD_USER, lookUpUser, type BuildUser } from './build-user';
import { createGateway } from './gateway';
import { repositoryRoot, startService, stopService, type ServiceProcess } from './processes';
import { bootstrapFarm, seedCatalogue } from './bootstrap';

export interface FarmOptions {
  databaseUrl: string;
  schema: string;
  amqpUrl: string;
  prefix: string;
  /** The gateway's port; services get free ports of their own unless `fixedPorts`. */
  gatewayPort: number;
  fixedPorts?: boolean;
  stateDir: string;
  builders: string[];
  heartbeatMs: number;
  /** The scheduler's first dependency-wait back-off; its default (a minute) unless given. */
  dependencyWaitBackoffMs?: number;
  logLevel: string;
  output: (line: string) => void;
  /** Keep the admin token in `<stateDir>/token` across restarts. */
  persistTokens: boolean;
  /** How builders build Debian packages: sbuild (the default) or the native fast path. */
  builderBackend?: 'sbuild' | 'native';
  /** What builders are asked to serve; each advertises only those it can build (see its log). */
  builderArches?: string[];
}

export interface Farm {
  apiUrl: string;
  adminToken: string;
  builderToken: string;
  services: Map<string, ServiceProcess>;
  /** Each service's own HTTP port (health, metrics), by service name. */
  ports: ReadonlyMap<string, number>;
  startBuilder(name: string): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

const SERVICES = ['projection', 'job-intake', 'artifact', 'scheduler'] as const;
const FIXED_PORTS: Record<string, number> = { 'job-intake': 8081, artifact: 8082, scheduler: 8083, projection: 8084, builder: 8085 };
const READY_TIMEOUT_MS = 60_000;

export async function startFarm(options: FarmOptions): Promise<Farm> {
  await mkdir(options.stateDir, { recursive: true });
  const { adminToken, builderToken } = await bootstrapFarm(options);

  const port = async (name: string): Promise<number> => (options.fixedPorts ? (FIXED_PORTS[name] ?? (await freePort())) : freePort());
  const apiUrl = `http://127.0.0.1:${options.gatewayPort}`;
  const common: NodeJS.ProcessEnv = {
    ...process.env,
    TSBIT_DATABASE_URL: options.databaseUrl,
    TSBIT_PG_SCHEMA: options.schema,
    TSBIT_AMQP_URL: options.amqpUrl,
    TSBIT_AMQP_PREFIX: options.prefix,
    TSBIT_LOG_LEVEL: options.logLevel,
    TSBIT_HEARTBEAT_MS: String(options.heartbeatMs),
    TSBIT_ARTIFACT_DIR: path.join(options.stateDir, 'artifacts'),
    TSBIT_API_URL: apiUrl,
    ...(options.dependencyWaitBackoffMs === undefined ? {} : { TSBIT_DEPENDENCY_WAIT_BACKOFF_MS: String(options.dependencyWaitBackoffMs) }),
  };

  const services = new Map<string, ServiceProcess>();
  const ports = new Map<string, number>();
  let gateway: FastifyInstance | undefined;

  const launch = async (name: string, entry: string, env: NodeJS.ProcessEnv = {}, user?: BuildUser): Promise<ServiceProcess> => {
    const servicePort = await port(name);
    const service = startService(name, entry, { ...common, ...env, TSBIT_PORT: String(servicePort) }, options.output, user);
    services.set(name, service);
    ports.set(name, servicePort);
    await waitFor(
      `${name} to be ready on :${servicePort}`,
      async () => {
        if (service.child.exitCode !== null) throw new Error(`${name} exited with code ${service.child.exitCode}`);
        const response = await fetch(`http://127.0.0.1:${servicePort}/readyz`).catch(() => undefined);
        return response?.ok === true;
      },
      { timeoutMs: READY_TIMEOUT_MS, intervalMs: 100 },
    );
    return service;
  };

  const user = builderUser();
  const chrootDir = sharedChrootDir(user);
  const startBuilder = async (name: string): Promise<ServiceProcess> => {
    const workDir = path.join(options.stateDir, 'builds', name);
    await mkdir(workDir, { recursive: true });
    if (user) {
      // The build user only passes through the state dir to reach its own work dir.
      await chmod(options.stateDir, 0o711);
      await chmod(path.join(options.stateDir, 'builds'), 0o711);
      await chown(workDir, user.uid, user.gid);
    }
    return launch(
      name,
      'services/builder/src/main.ts',
      {
        TSBIT_BUILDER_NAME: name,
        TSBIT_TOKEN: builderToken,
        TSBIT_BUILDER_WORKDIR: workDir,
        TSBIT_BUILDER_BACKEND: options.builderBackend ?? 'sbuild',
        ...(options.builderArches ? { TSBIT_BUILDER_ARCHES: options.builderArches.join(',') } : {}),
        ...(chrootDir ? { TSBIT_CHROOT_DIR: chrootDir } : {}),
      },
      user,
    );
  };

  const stop = async (): Promise<void> => {
    // Builders first, so that they hand their work back while the scheduler still listens.
    const builders = [...services.values()].filter((service) => !SERVICES.includes(service.name as (typeof SERVICES)[number]));
    await Promise.all(builders.map((service) => stopService(service)));
    await gateway?.close();
    await Promise.all([...services.values()].map((service) => stopService(service)));
  };

  try {
    await Promise.all(SERVICES.map((name) => launch(name, `services/${name}/src/main.ts`)));
    gateway = await createGateway({
      apiUrl: `http://127.0.0.1:${ports.get('job-intake')}`,
      artifactUrl: `http://127.0.0.1:${ports.get('artifact')}`,
    });
    await gateway.listen({ port: options.gatewayPort, host: '0.0.0.0' });
    await seedCatalogue(apiUrl, adminToken);
    for (const name of options.builders) await startBuilder(name);
  } catch (error) {
    await stop();
    throw error;
  }
  return { apiUrl, adminToken, builderToken, services, ports, startBuilder, stop };
}

/**
 * The chroots a builder run as this user (not as the build user) unpacks: the build user's, which
 * tools/prerequisites.sh keeps fresh and anyone may read, unless TSBIT_CHROOT_DIR names others.
 */
function sharedChrootDir(user: BuildUser | undefined): string | undefined {
  if (user || process.env.TSBIT_CHROOT_DIR) return undefined;
  const buildUser = lookUpUser(DEFAULT_BUILD_USER);
  return buildUser ? path.join(buildUser.home, '.cache', 'sbuild') : undefined;
}

export function defaultStateDir(): string {
  return path.join(repositoryRoot, '.tsbit');
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
