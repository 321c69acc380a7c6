import path from 'node:path';
import type { Logger } from 'pino';
import type { EventLog } from '@tsbit/event-log';
import type { Broker, Consumer } from '@tsbit/messaging';
import type { ContentStore } from '../store';
import { AptRepository } from './apt-repository';
import { consumeBuildSuccesses } from './consumer';
import { createPublisher, type Publisher } from './publisher';
import type { RepositoryRoutesOptions } from './routes';
import { SigningKey } from './signing-key';
import { YumRepository } from './yum-repository';

export { AptRepository, PublishRefused, poolDirectory, COMPONENT } from './apt-repository';
export { YumRepository, baseArch } from './yum-repository';
export { SigningKey } from './signing-key';
export { createPublisher, APT_PATH, YUM_PATH, REPOS_PATH, type Publisher, type PublishOutcome } from './publisher';
export { consumeBuildSuccesses, PUBLISH_ROUTING_KEY } from './consumer';
export { registerRepositoryRoutes, aptSources, aptList, dnfRepo, type RepositoryRoutesOptions } from './routes';

export interface RepositoriesOptions {
  /** Root of the published trees: `<dir>/deb` and `<dir>/rpm`. */
  repositoryDir: string;
  gnupgHome: string;
  /** An armored private key to sign with (a Secret in the cluster); none: made on first start. */
  signingKeyFile?: string;
  publicUrl: string;
  log: EventLog;
  store: ContentStore;
  logger: Pick<Logger, 'info' | 'warn'>;
  clock?: () => Date;
}

export interface Repositories {
  key: SigningKey;
  apt: AptRepository;
  yum: YumRepository;
  publisher: Publisher;
  routes: RepositoryRoutesOptions;
  /** Starts publishing every BuildSucceeded from the broker. */
  consume(broker: Broker): Promise<Consumer>;
  close(): Promise<void>;
}

/** The signed APT and YUM repositories and their publisher: the artifact service's publishing side. */
export async function createRepositories(options: RepositoriesOptions): Promise<Repositories> {
  const key = await SigningKey.create({ gnupgHome: options.gnupgHome, ...(options.signingKeyFile ? { keyFile: options.signingKeyFile } : {}), logger: options.logger });
  const apt = new AptRepository(path.join(options.repositoryDir, 'deb'), key, options.clock);
  const yum = new YumRepository(path.join(options.repositoryDir, 'rpm'), key);
  const publisher = createPublisher({ log: options.log, store: options.store, apt, yum, logger: options.logger, ...(options.clock ? { clock: options.clock } : {}) });
  return {
    key,
    apt,
    yum,
    publisher,
    routes: { key, apt, yum, publicUrl: options.publicUrl },
    consume: (broker) => consumeBuildSuccesses({ broker, publisher, logger: options.logger }),
    close: () => key.close(),
  };
}
