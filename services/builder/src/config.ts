import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import { homedir, hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { commonConfigSchema } from '@tsbit/service-kit';

/**
 * The builder's settings. Values that depend on the machine (its name, its architecture, whether
 * rpmbuild is installed, where to build) default to '' in the schema and are detected once by
 * `detectDefaults`, so that `resolveBuilderSettings` stays a pure function that tests can call.
 */
export const configSchema = Type.Composite([
  commonConfigSchema,
  Type.Object({
    TSBIT_PORT: Type.Integer({ default: 8085, minimum: 0, maximum: 65535 }),
    TSBIT_API_URL: Type.String({ default: 'http://127.0.0.1:8080', pattern: '^https?://' }),
    TSBIT_TOKEN: Type.String({ default: '' }),
    TSBIT_BUILDER_NAME: Type.String({ default: '', pattern: '^$|^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$' }),
    TSBIT_BUILDER_ARCHES: Type.String({ default: '' }),
    TSBIT_BUILDER_SUITES: Type.String({ default: 'bookworm' }),
    TSBIT_BUILDER_FORMATS: Type.String({ default: '' }),
    TSBIT_BUILDER_SLOTS: Type.Integer({ default: 1, minimum: 1, maximum: 64 }),
    TSBIT_BUILDER_WORKDIR: Type.String({ default: '' }),
    TSBIT_BUILDER_BACKEND: Type.Union([Type.Literal('native'), Type.Literal('sbuild')], { default: 'sbuild' }),
    TSBIT_CHROOT_DIR: Type.String({ default: '' }),
    TSBIT_APT_SOURCES: Type.String({ default: '' }),
    TSBIT_BUILDER_KEEP_FAILED: Type.Boolean({ default: true }),
    TSBIT_HEARTBEAT_MS: Type.Integer({ default: 5000, minimum: 100 }),
    TSBIT_HELLO_EVERY: Type.Integer({ default: 6, minimum: 1 }),
    TSBIT_BUILD_TIMEOUT_S: Type.Integer({ default: 3600, minimum: 1 }),
    TSBIT_CANCEL_GRACE_MS: Type.Integer({ default: 5000, minimum: 0 }),
    TSBIT_LOG_LIMIT_BYTES: Type.Integer({ default: 256 * 1024 ** 2, minimum: 64 * 1024 }),
  }),
]);
export type Config = Static<typeof configSchema>;

export type PackageFormat = 'deb' | 'rpm';
export const packageFormats: readonly PackageFormat[] = ['deb', 'rpm'];
export type BackendName = 'native' | 'sbuild';

/** What the builder runs with, every machine-dependent default filled in. */
export interface BuilderSettings {
  name: string;
  arches: string[];
  suites: string[];
  formats: PackageFormat[];
  slots: number;
  workDir: string;
  backend: BackendName;
  /** The sbuild chroot tarballs: `<suite>-<arch>.tar`, `<suite>-<host>-cross-<arch>.tar`. */
  chrootDir: string;
  /** The farm's package repositories (`<TSBIT_API_URL>/repos`), which sbuild builds see. */
  repositoryUrl: string;
  /** A sources file (TSBIT_APT_SOURCES) whose entries apt jobs fetch from; unset: the host's APT sources. */
  aptSources?: string;
  keepFailed: boolean;
  heartbeatMs: number;
  helloEvery: number;
  buildTimeoutMs: number;
  /** Between SIGINT and SIGTERM, and again between SIGTERM and SIGKILL, when a build is stopped. */
  cancelGraceMs: number;
  /** A build whose log passes this is stopped (`log_too_large`); unset: the runner's default, 256 MiB. */
  logLimitBytes?: number;
}

export interface MachineDefaults {
  hostname: string;
  arch: string;
  hasRpmbuild: boolean;
  workDir: string;
  /** sbuild's own default: ~/.cache/sbuild of the user the builder runs as. */
  chrootDir: string;
}

const NAME_PART = /^[a-z0-9][a-z0-9._+-]*$/;

/** Splits a comma-separated setting, refusing names that cannot be part of a queue name. */
export function listSetting(variable: string, value: string): string[] {
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length === 0) throw new Error(`${variable}: must list at least one value`);
  for (const item of items) {
    if (!NAME_PART.test(item)) throw new Error(`${variable}: "${item}" must match ${NAME_PART.source}`);
  }
  return [...new Set(items)];
}

export function resolveBuilderSettings(config: Config, machine: MachineDefaults): BuilderSettings {
  const formats = listSetting('TSBIT_BUILDER_FORMATS', config.TSBIT_BUILDER_FORMATS || (machine.hasRpmbuild ? 'deb,rpm' : 'deb'));
  for (const format of formats) {
    if (!packageFormats.includes(format as PackageFormat)) {
      throw new Error(`TSBIT_BUILDER_FORMATS: "${format}" is not one of ${packageFormats.join(', ')}`);
    }
  }
  const name = config.TSBIT_BUILDER_NAME || machine.hostname.replace(/[^A-Za-z0-9._-]/g, '-');
  return {
    name,
    arches: listSetting('TSBIT_BUILDER_ARCHES', config.TSBIT_BUILDER_ARCHES || machine.arch),
    suites: listSetting('TSBIT_BUILDER_SUITES', config.TSBIT_BUILDER_SUITES),
    formats: formats as PackageFormat[],
    slots: config.TSBIT_BUILDER_SLOTS,
    workDir: path.resolve(config.TSBIT_BUILDER_WORKDIR || machine.workDir),
    backend: config.TSBIT_BUILDER_BACKEND,
    chrootDir: path.resolve(config.TSBIT_CHROOT_DIR || machine.chrootDir),
    repositoryUrl: `${config.TSBIT_API_URL.replace(/\/+$/, '')}/repos`,
    ...(config.TSBIT_APT_SOURCES ? { aptSources: path.resolve(config.TSBIT_APT_SOURCES) } : {}),
    keepFailed: config.TSBIT_BUILDER_KEEP_FAILED,
    heartbeatMs: config.TSBIT_HEARTBEAT_MS,
    helloEvery: config.TSBIT_HELLO_EVERY,
    buildTimeoutMs: config.TSBIT_BUILD_TIMEOUT_S * 1000,
    cancelGraceMs: config.TSBIT_CANCEL_GRACE_MS,
    logLimitBytes: config.TSBIT_LOG_LIMIT_BYTES,
  };
}

/** The machine-dependent defaults: asked of the system once, in main.ts. */
export function detectDefaults(): MachineDefaults {
  let arch = 'amd64';
  try {
    arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim() || arch;
  } catch {
    // Not a Debian system: keep the common default; TSBIT_BUILDER_ARCHES says otherwise.
  }
  return { hostname: hostname(), arch, hasRpmbuild: onPath('rpmbuild'), workDir: defaultWorkDir(), chrootDir: path.join(homedir(), '.cache', 'sbuild') };
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .some((dir) => dir !== '' && existsSync(path.join(dir, command)));
}

/** `<repo>/.tsbit/builds` when running from a writable checkout, else the system's temp dir. */
function defaultWorkDir(): string {
  // src/ and dist/services/builder/ are both three levels below the repository's root.
  const repositoryRoot = path.resolve(__dirname, '../../..');
  try {
    if (existsSync(path.join(repositoryRoot, 'package.json'))) {
      accessSync(repositoryRoot, constants.W_OK);
      return path.join(repositoryRoot, '.tsbit', 'builds');
    }
  } catch {
    // Read-only install (a container image): fall through.
  }
  return path.join(tmpdir(), 'tsbit-builds');
}
