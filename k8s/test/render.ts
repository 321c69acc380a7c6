import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { Manifest } from './kubernetes-schema';
import { kubernetesTools } from './tools';

export const chartDir = path.join(__dirname, '..', '..', 'charts', 'tsbit');
export const overlaysDir = path.join(__dirname, '..', 'overlays');

export const RELEASE = 'tsbit';
export const NAMESPACE = 'tsbit';

function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
}

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** `helm <args>` with the extracted helm: the status and what it printed. */
export function helm(args: string[]): HelmResult {
  const result = spawnSync(kubernetesTools().helm, args, { encoding: 'utf8' });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** `helm template` of the chart with these values files (relative to the chart) and --set pairs. */
export function helmTemplate(options: { valuesFiles?: string[]; set?: string[] } = {}): Manifest[] {
  const args = ['template', RELEASE, chartDir, '--namespace', NAMESPACE];
  for (const file of options.valuesFiles ?? []) args.push('--values', path.isAbsolute(file) ? file : path.join(chartDir, file));
  for (const pair of options.set ?? []) args.push('--set', pair);
  const result = helm(args);
  if (result.status !== 0) throw new Error(`helm ${args.join(' ')}: ${result.stderr}`);
  return parseManifests(result.stdout);
}

/** `kubectl kustomize` of an overlay, with the extracted kubectl 1.31. */
export function kustomize(overlay: string): Manifest[] {
  return parseManifests(execFileSync(kubernetesTools().kubectl, ['kustomize', path.join(overlaysDir, overlay)], { encoding: 'utf8' }));
}

export function find(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = manifests.find((manifest) => manifest.kind === kind && manifest.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} among ${manifests.map((manifest) => `${manifest.kind}/${manifest.metadata?.name}`).join(', ')}`);
  return found;
}

export interface Container {
  name: string;
  image?: string;
  command?: string[];
  env?: { name: string; value?: string }[];
  securityContext?: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
  readinessProbe?: unknown;
  livenessProbe?: unknown;
}

export interface PodSpec {
  nodeSelector?: Record<string, string>;
  tolerations?: Record<string, unknown>[];
  securityContext?: Record<string, unknown>;
  initContainers?: Container[];
  containers: Container[];
  volumes?: ({ name: string } & Record<string, unknown>)[];
}

/** The pod template of a Deployment, DaemonSet or CronJob. */
export function podSpec(manifest: Manifest): PodSpec {
  const spec = manifest.spec as { template?: { spec: PodSpec }; jobTemplate?: { spec: { template: { spec: PodSpec } } } };
  const pod = spec.template?.spec ?? spec.jobTemplate?.spec.template.spec;
  if (!pod) throw new Error(`${manifest.kind} ${manifest.metadata?.name} has no pod template`);
  return pod;
}

export const envOf = (container: Container | undefined, name: string): string | undefined => container?.env?.find((env) => env.name === name)?.value;
