/**
 * The domain's events: the canonical proto3 JSON form of tsbit.events.v1 (camelCase fields,
 * timestamps as RFC 3339 strings, uint64 as decimal strings), typed with every field present.
 * `serialization.ts` is the one place that checks them against the contracts.
 */

export type ActorKind = 'user' | 'builder' | 'system';
export type Actor = {
  kind: ActorKind;
  name: string;
};

export type SourceMethod = 'git' | 'svn' | 'apt' | 'dsc';
export type Source = {
  method: SourceMethod;
  url: string;
  ref: string;
};

export type Reason = {
  code: ReasonCode;
  message: string;
  jobIds: number[];
};

export type ReasonCode =
  | 'queued'
  | 'waiting_for_dependency'
  | 'dependency_failed'
  | 'no_builder_online'
  | 'blacklisted'
  | 'paused_by_admin'
  | 'superseded'
  | 'cancelled_by_user'
  | 'lease_expired'
  | 'package_failure'
  | 'infrastructure_failure'
  | 'dependency_wait'
  | 'retry_limit_reached'
  | 'waiting_for_other_builder';

export type ArtifactKind = 'deb' | 'udeb' | 'ddeb' | 'rpm' | 'dsc' | 'changes' | 'buildinfo' | 'log' | 'other';
export type Artifact = {
  name: string;
  sha256: string;
  /** Bytes, as a decimal string (uint64 in canonical JSON). */
  size: string;
  kind: ArtifactKind;
};

export type FailureClass = 'package' | 'infrastructure';

/** How a builder builds for an architecture: on it, cross-compiling for it, or under qemu-user. */
export type BuildMode = 'native' | 'cross' | 'emulated';

export type SourceFile = {
  name: string;
  sha256: string;
  /** Bytes, as a decimal string (uint64 in canonical JSON). */
  size: string;
};

export type LintianResult = {
  /** 'passed', 'warnings', 'errors', 'failed' (lintian itself failed) or '' (not run). */
  status: string;
  errors: number;
  warnings: number;
  /** The artifact holding lintian's output (lintian.log); '' when there is none. */
  log: string;
  lintianVersion: string;
};

/** What exactly a build was made from (tsbit.events.v1.BuildInputs). */
export type BuildInputs = {
  sourceFiles: SourceFile[];
  sourceRevision: string;
  sourceTreeSha256: string;
  chroot: string;
  chrootSha256: string;
  backend: string;
  backendVersion: string;
  buildinfo: string;
  mode: BuildMode | '';
  /** Absent until a lintian step reports. */
  lintian?: LintianResult;
};

type Event<Type extends string, Data> = { type: Type; data: Data };

// --- job-<id> -------------------------------------------------------------------------------
export type JobSubmitted = Event<
  'JobSubmitted',
  {
    jobId: number;
    package: string;
    version: string;
    suite: string;
    dist: string;
    arch: string;
    format: string;
    env: string;
    source: Source;
    priority: number;
    project: string;
    dependsOn: number[];
    buildArchIndep: boolean;
    submittedBy: Actor;
    submittedAt: string;
    retryOf: number;
    /**
     * A rebuild check: the Done job whose recorded inputs this one builds again (absent or 0:
     * none), and the builder that built it, which must not build this one. Optional so that
     * submissions written before these fields type-check; read from the log they are 0 and ''.
     */
    rebuildOf?: number;
    avoidBuilder?: string;
  }
>;
export type JobBlocked = Event<'JobBlocked', { jobId: number; reason: Reason; blockedAt: string }>;
export type JobQueued = Event<'JobQueued', { jobId: number; attempt: number; routingKey: string; queuedAt: string }>;
export type BuildStarted = Event<'BuildStarted', { jobId: number; attempt: number; builder: string; startedAt: string; mode: BuildMode | '' }>;
export type BuildSucceeded = Event<
  'BuildSucceeded',
  /** `inputs` is absent in events from builders that did not report them. */
  { jobId: number; attempt: number; builder: string; artifacts: Artifact[]; finishedAt: string; inputs?: BuildInputs }
>;
export type BuildFailed = Event<
  'BuildFailed',
  {
    jobId: number;
    attempt: number;
    builder: string;
    failureClass: FailureClass;
    reason: Reason;
    artifacts: Artifact[];
    finishedAt: string;
  }
>;
export type LeaseExpired = Event<'LeaseExpired', { jobId: number; attempt: number; builder: string; expiredAt: string }>;
export type JobCancelRequested = Event<
  'JobCancelRequested',
  { jobId: number; requestedBy: Actor; reason: Reason; requestedAt: string }
>;
export type JobCancelled = Event<'JobCancelled', { jobId: number; cancelledBy: Actor; reason: Reason; cancelledAt: string }>;
export type JobRetried = Event<
  'JobRetried',
  { jobId: number; attempt: number; retriedBy: Actor; automatic: boolean; retriedAt: string }
>;
export type JobDeleted = Event<'JobDeleted', { jobId: number; deletedBy: Actor; deletedAt: string }>;

export type JobEvent =
  | JobSubmitted
  | JobBlocked
  | JobQueued
  | BuildStarted
  | BuildSucceeded
  | BuildFailed
  | LeaseExpired
  | JobCancelRequested
  | JobCancelled
  | JobRetried
  | JobDeleted;

// --- artifacts-<job id> ---------------------------------------------------------------------
export type ArtifactStored = Event<
  'ArtifactStored',
  {
    jobId: number;
    attempt: number;
    name: string;
    sha256: string;
    size: string;
    kind: ArtifactKind;
    builder: string;
    storedAt: string;
  }
>;
export type ArtifactEvent = ArtifactStored;

// --- publication-<job id> -------------------------------------------------------------------
export type PublishedPackage = {
  /** Binary package name (for a Debian source package, its source name). */
  name: string;
  version: string;
  /** 'amd64', 'all', 'source' (Debian); 'x86_64', 'noarch', 'src' (rpm). */
  arch: string;
  /** Path of the file under the repository root. */
  filename: string;
};
export type PackagePublished = Event<
  'PackagePublished',
  {
    jobId: number;
    attempt: number;
    suite: string;
    format: string;
    arch: string;
    /** URL path of the repository root, e.g. /repos/deb. */
    repository: string;
    packages: PublishedPackage[];
    publishedAt: string;
  }
>;
export type PublicationEvent = PackagePublished;

// --- builder-<name> -------------------------------------------------------------------------
/** How a builder serves one (suite, arch) for deb builds. */
export type ArchSupport = { suite: string; arch: string; mode: BuildMode; chroot: string };
/** A (suite, arch) a builder was asked to serve but cannot build, why, and the command that fixes it. */
export type ArchUnavailable = { suite: string; arch: string; reason: string; fix: string };
export type BuilderRegistered = Event<
  'BuilderRegistered',
  {
    name: string;
    arches: string[];
    suites: string[];
    formats: string[];
    slots: number;
    registeredAt: string;
    /** Empty from builders that do not say (and in events written before they could). */
    archSupport: ArchSupport[];
    unavailable: ArchUnavailable[];
  }
>;
export type BuilderLost = Event<'BuilderLost', { name: string; lostAt: string }>;
export type BuilderPaused = Event<'BuilderPaused', { name: string; pausedBy: string; pausedAt: string }>;
export type BuilderResumed = Event<'BuilderResumed', { name: string; resumedBy: string; resumedAt: string }>;
export type BuilderRetired = Event<'BuilderRetired', { name: string; retiredBy: string; retiredAt: string }>;
export type BuilderEvent = BuilderRegistered | BuilderLost | BuilderPaused | BuilderResumed | BuilderRetired;

// --- catalog --------------------------------------------------------------------------------
export type CatalogEntryKind = 'arch' | 'dist' | 'format' | 'env';
export type CatalogEntryAdded = Event<
  'CatalogEntryAdded',
  { kind: CatalogEntryKind; name: string; description: string; addedBy: string; addedAt: string }
>;
export type CatalogEntryRemoved = Event<
  'CatalogEntryRemoved',
  { kind: CatalogEntryKind; name: string; removedBy: string; removedAt: string }
>;
export type SuiteArch = {
  arch: string;
  masterWeight: number;
};
export type SuiteDefined = Event<
  'SuiteDefined',
  {
    name: string;
    dist: string;
    arches: SuiteArch[];
    formats: string[];
    envs: string[];
    /** Keyrings that .dsc signatures are checked against; empty: the dist's defaults (catalog/signatures). */
    keyrings: string[];
    /** An admin's explicit choice: no .dsc signature of this suite is checked. */
    skipSignatureCheck: boolean;
    /** Lintian runs after each deb build unless this is set. */
    skipLintian: boolean;
    definedBy: string;
    definedAt: string;
  }
>;
export type SuiteRemoved = Event<'SuiteRemoved', { name: string; removedBy: string; removedAt: string }>;
export type BlacklistField = 'name' | 'vcs_uri';
export type BlacklistRuleAdded = Event<
  'BlacklistRuleAdded',
  { ruleId: number; field: BlacklistField; regex: string; addedBy: string; addedAt: string }
>;
export type BlacklistRuleRemoved = Event<'BlacklistRuleRemoved', { ruleId: number; removedBy: string; removedAt: string }>;
export type CatalogEvent =
  | CatalogEntryAdded
  | CatalogEntryRemoved
  | SuiteDefined
  | SuiteRemoved
  | BlacklistRuleAdded
  | BlacklistRuleRemoved;

// --- access ---------------------------------------------------------------------------------
export type Role = 'admin' | 'submitter' | 'builder';
export type TokenIssued = Event<
  'TokenIssued',
  { tokenId: string; name: string; role: Role; secretSha256: string; issuedBy: string; issuedAt: string }
>;
export type TokenRevoked = Event<'TokenRevoked', { tokenId: string; revokedBy: string; revokedAt: string }>;
export type AccessEvent = TokenIssued | TokenRevoked;

export type DomainEvent = JobEvent | ArtifactEvent | PublicationEvent | BuilderEvent | CatalogEvent | AccessEvent;
export type DomainEventType = DomainEvent['type'];

// --- stream ids: the one place each is built ------------------------------------------------
export const jobStreamId = (jobId: number): string => `job-${jobId}`;
export const artifactStreamId = (jobId: number): string => `artifacts-${jobId}`;
export const publicationStreamId = (jobId: number): string => `publication-${jobId}`;
export const builderStreamId = (name: string): string => `builder-${name}`;
export const catalogStreamId = 'catalog';
export const accessStreamId = 'access';

/** The statuses a job can be in; pyBit's names, plus Uploaded kept for its clients. */
export const jobStatuses = ['Waiting', 'Blocked', 'Building', 'Cancelling', 'Done', 'Failed', 'Cancelled', 'Uploaded'] as const;
export type JobStatus = (typeof jobStatuses)[number];
