import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import {
  artifactStreamId,
  deserializeEvent,
  jobStreamId,
  publicationStreamId,
  serializeEvent,
  type ArtifactStored,
  type BuildSucceeded,
  type JobSubmitted,
  type PackagePublished,
  type PublishedPackage,
} from '@tsbit/domain';
import { WrongExpectedVersion, type EventLog } from '@tsbit/event-log';
import { histogram } from '@tsbit/service-kit';
import type { ContentStore } from '../store';
import type { AptRepository } from './apt-repository';
import { clearsignedText, field, fileList, parseStanza } from './deb822';
import type { SourceFile } from './files';
import type { YumRepository } from './yum-repository';

/** URL paths of the repositories, as the gateway and the Ingress route them to this service. */
export const REPOS_PATH = '/repos';
export const APT_PATH = `${REPOS_PATH}/deb`;
export const YUM_PATH = `${REPOS_PATH}/rpm`;

const publishSeconds = histogram(
  'tsbit_publish_seconds',
  'From BuildSucceeded recorded to its packages signed into the repository, by format',
  ['format'],
  [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
);

export type PublishOutcome =
  | { kind: 'published'; event: PackagePublished }
  /** Recorded before: a redelivered BuildSucceeded. */
  | { kind: 'already'; event: PackagePublished }
  /** Nothing to publish: the job did not succeed in that attempt, or made no package of its format. */
  | { kind: 'nothing'; reason: string };

export interface PublisherDeps {
  log: EventLog;
  store: ContentStore;
  apt: AptRepository;
  yum: YumRepository;
  logger: Pick<Logger, 'info' | 'warn'>;
  clock?: () => Date;
}

export type Publisher = ReturnType<typeof createPublisher>;

/**
 * Publishes a successful build: the packages its builder uploaded for that attempt (as the log's
 * ArtifactStored events name them) go into the suite's APT or YUM repository, then
 * PackagePublished is appended to `publication-<job>`. Idempotent: a publication already recorded
 * is not repeated, and publishing the same files again changes no index, so a crash between the
 * two steps heals on redelivery.
 */
export function createPublisher(deps: PublisherDeps) {
  const { log, store, logger } = deps;
  const clock = deps.clock ?? (() => new Date());

  async function recorded(jobId: number): Promise<{ events: PackagePublished[]; version: number }> {
    const stream = await log.readStream(publicationStreamId(jobId));
    const events = stream.map((event) => deserializeEvent(event.type, event.data)).filter((event): event is PackagePublished => event.type === 'PackagePublished');
    return { events, version: stream.length - 1 };
  }

  async function publishBuild(jobId: number, attempt: number, succeededAt?: Date): Promise<PublishOutcome> {
    const before = await recorded(jobId);
    const done = before.events.find((event) => event.data.attempt === attempt);
    if (done) return { kind: 'already', event: done };

    const jobEvents = (await log.readStream(jobStreamId(jobId))).map((event) => deserializeEvent(event.type, event.data));
    const submitted = jobEvents.find((event): event is JobSubmitted => event.type === 'JobSubmitted');
    const succeeded = jobEvents.find((event): event is BuildSucceeded => event.type === 'BuildSucceeded' && event.data.attempt === attempt);
    if (!submitted) return { kind: 'nothing', reason: `no job ${jobId}` };
    if (!succeeded) return { kind: 'nothing', reason: `attempt ${attempt} of job ${jobId} did not succeed` };
    // A rebuild check verifies a published build; its packages are compared, never released.
    if (submitted.data.rebuildOf) return { kind: 'nothing', reason: `job ${jobId} is a rebuild check of job ${submitted.data.rebuildOf}` };
    const { suite, format, arch } = submitted.data;

    // What the builder reported, as stored for that attempt (the last upload of a name wins).
    const stored = new Map<string, ArtifactStored['data']>();
    for (const event of await log.readStream(artifactStreamId(jobId))) {
      const artifact = deserializeEvent(event.type, event.data);
      if (artifact.type === 'ArtifactStored' && artifact.data.attempt === attempt) stored.set(artifact.data.name, artifact.data);
    }
    const reported = new Map(succeeded.data.artifacts.map((artifact) => [artifact.name, artifact.sha256]));
    const files = [...stored.values()]
      .filter((artifact) => reported.size === 0 || reported.get(artifact.name) === artifact.sha256)
      .map((artifact): SourceFile & { kind: string } => ({ name: artifact.name, path: store.pathOf(artifact.sha256), sha256: artifact.sha256, size: Number(artifact.size), kind: artifact.kind }));
    const allStored = [...stored.values()].map((artifact): SourceFile => ({ name: artifact.name, path: store.pathOf(artifact.sha256), sha256: artifact.sha256, size: Number(artifact.size) }));

    let repository: string;
    let packages: PublishedPackage[];
    let skipped: { name: string; reason: string }[];
    if (format === 'deb') {
      const binaries = files.filter((file) => file.kind === 'deb' || file.kind === 'udeb');
      const dsc = files.find((file) => file.kind === 'dsc');
      const source = dsc ? { dsc, files: await filesOfDsc(dsc, allStored) } : undefined;
      if (binaries.length === 0 && !source) return { kind: 'nothing', reason: `attempt ${attempt} of job ${jobId} stored no .deb, .udeb or .dsc` };
      ({ packages, skipped } = await deps.apt.publish({ suite, arch, binaries, ...(source ? { source } : {}) }));
      repository = APT_PATH;
    } else if (format === 'rpm') {
      const rpms = files.filter((file) => file.kind === 'rpm');
      if (rpms.length === 0) return { kind: 'nothing', reason: `attempt ${attempt} of job ${jobId} stored no .rpm` };
      ({ packages, skipped } = await deps.yum.publish({ suite, arch, rpms }));
      repository = `${YUM_PATH}/${suite}`;
    } else {
      return { kind: 'nothing', reason: `format ${format} has no repository` };
    }
    for (const item of skipped) logger.info({ jobId, attempt, file: item.name, reason: item.reason }, 'stored, not indexed');

    const event: PackagePublished = {
      type: 'PackagePublished',
      data: { jobId, attempt, suite, format, arch, repository, packages, publishedAt: clock().toISOString() },
    };
    try {
      await log.append(publicationStreamId(jobId), [{ ...serializeEvent(event), metadata: { causedBy: { kind: 'system', name: 'artifact' } } }], before.version < 0 ? 'no_stream' : before.version);
    } catch (error) {
      if (!(error instanceof WrongExpectedVersion)) throw error;
      // Another delivery of the same message got there first: its record stands.
      const now = (await recorded(jobId)).events.find((existing) => existing.data.attempt === attempt);
      if (now) return { kind: 'already', event: now };
      throw error;
    }
    if (succeededAt) publishSeconds.observe({ format }, Math.max(0, clock().getTime() - succeededAt.getTime()) / 1000);
    logger.info({ jobId, attempt, suite, format, packages: packages.map((item) => `${item.name} ${item.version} ${item.arch}`) }, 'published');
    return { kind: 'published', event };
  }

  return { publishBuild };
}

/** The files a .dsc lists, among those stored for the attempt; missing ones are left to the repository to refuse. */
async function filesOfDsc(dsc: SourceFile, stored: SourceFile[]): Promise<SourceFile[]> {
  const listed = fileList(field(parseStanza(clearsignedText(await readFile(dsc.path, 'utf8'))), 'Checksums-Sha256'));
  return stored.filter((file) => listed.some((item) => item.name === file.name));
}
