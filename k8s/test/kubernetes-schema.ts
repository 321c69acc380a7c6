import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * Checks a manifest against the Kubernetes API, two ways, both from npm packages:
 *
 * 1. Kubernetes 1.31.0's own types, as cdk8s-plus-31 ships them (its jsii assembly describes every
 *    1.31.0 API object, generated from that release's OpenAPI document): every field must exist in
 *    1.31 (a misspelt or misplaced field, or one from a later release, is refused), every required
 *    field must be there, and each value must have the field's JSON type.
 * 2. The OpenAPI schemas that kubernetes-models compiles into validators, for what the types do not
 *    carry: enumerations (`pathType`, `seccompProfile.type`, ...) and formats. kubernetes-models has
 *    no 1.31 build (4.4 is 1.27, 4.5 is 1.33, 5.x needs Node 22), so this is 1.33's; step 1 is what
 *    keeps the manifests within 1.31.
 */
type TypeReference =
  | { primitive: 'string' | 'number' | 'boolean' | 'any' | 'date' | 'json' }
  | { fqn: string }
  | { collection: { kind: 'array' | 'map'; elementtype: TypeReference } }
  | { union: { types: TypeReference[] } };

interface JsiiProperty {
  name: string;
  optional?: boolean;
  type: TypeReference;
  docs?: { custom?: { schema?: string } };
}

interface JsiiType {
  fqn: string;
  kind: 'interface' | 'class' | 'enum';
  properties?: JsiiProperty[];
}

interface Field {
  required: boolean;
  type: TypeReference;
}

export interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

const KUBERNETES_VERSION = '1.31.0';
const cdk8sDir = path.resolve(path.dirname(require.resolve('cdk8s-plus-31')), '..');
const NAMESPACE = 'cdk8s-plus-31.k8s.';

let catalogue: { types: Map<string, Map<string, Field>>; kinds: Map<string, string> } | undefined;

/** The 1.31 types by name, each as its JSON fields, and the props type of each apiVersion/kind. */
function load(): NonNullable<typeof catalogue> {
  if (catalogue) return catalogue;
  const imports = readFileSync(path.join(cdk8sDir, 'lib', 'imports', 'k8s.js'), 'utf8');
  // cdk8s.yaml lists every `cdk8s import` the package ran; the last one wrote lib/imports/k8s.js.
  const generatedFor = [...readFileSync(path.join(cdk8sDir, 'cdk8s.yaml'), 'utf8').matchAll(/k8s@([0-9.]+)/g)].at(-1)?.[1];
  if (generatedFor !== KUBERNETES_VERSION) throw new Error(`cdk8s-plus-31 was generated for Kubernetes ${generatedFor}, expected ${KUBERNETES_VERSION}`);
  const assembly = JSON.parse(readFileSync(path.join(cdk8sDir, '.jsii'), 'utf8')) as { types: Record<string, JsiiType> };
  const types = new Map<string, Map<string, Field>>();
  for (const type of Object.values(assembly.types)) {
    if (!type.fqn.startsWith(NAMESPACE) || type.kind !== 'interface') continue;
    const fields = new Map<string, Field>();
    for (const property of type.properties ?? []) {
      // The JSON name is the part after '#' of the property's schema reference (cdk8s camel-cases
      // names such as hostIP or $ref for TypeScript).
      const jsonName = property.docs?.custom?.schema?.split('#')[1] ?? property.name;
      fields.set(jsonName, { required: property.optional !== true, type: property.type });
    }
    types.set(type.fqn, fields);
  }
  const kinds = new Map<string, string>();
  for (const match of imports.matchAll(/(Kube\w+)\.GVK = \{\s*apiVersion: '([^']+)',\s*kind: '([^']+)',?\s*\}/g)) {
    kinds.set(`${match[2]}/${match[3]}`, `${NAMESPACE}${match[1]}Props`);
  }
  catalogue = { types, kinds };
  return catalogue;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function check(value: unknown, type: TypeReference, at: string, errors: string[]): void {
  if ('primitive' in type) {
    const ok =
      type.primitive === 'any' || type.primitive === 'json'
        ? true
        : type.primitive === 'date'
          ? typeof value === 'string'
          : typeof value === type.primitive && (type.primitive !== 'number' || Number.isFinite(value));
    if (!ok) errors.push(`${at}: expected a ${type.primitive}, got ${JSON.stringify(value)}`);
    return;
  }
  if ('collection' in type) {
    const { kind, elementtype } = type.collection;
    if (kind === 'array') {
      if (!Array.isArray(value)) return void errors.push(`${at}: expected a list`);
      value.forEach((item, index) => check(item, elementtype, `${at}[${index}]`, errors));
    } else {
      if (!isObject(value)) return void errors.push(`${at}: expected a map`);
      for (const [key, item] of Object.entries(value)) check(item, elementtype, `${at}.${key}`, errors);
    }
    return;
  }
  if ('union' in type) {
    const fits = type.union.types.some((option) => {
      const found: string[] = [];
      check(value, option, at, found);
      return found.length === 0;
    });
    if (!fits) errors.push(`${at}: matches none of the types allowed here`);
    return;
  }
  const name = type.fqn.slice(NAMESPACE.length);
  if (name === 'IntOrString') {
    if (typeof value !== 'string' && !Number.isInteger(value)) errors.push(`${at}: expected an integer or a string`);
    return;
  }
  if (name === 'Quantity') {
    if (typeof value !== 'string' && typeof value !== 'number') errors.push(`${at}: expected a quantity`);
    return;
  }
  const fields = load().types.get(type.fqn);
  if (!fields) {
    // The one enum of the assembly (DeleteOptions' kind) and other non-struct types: strings.
    if (typeof value !== 'string') errors.push(`${at}: expected a string`);
    return;
  }
  checkFields(value, fields, at, errors);
}

function checkFields(value: unknown, fields: Map<string, Field>, at: string, errors: string[]): void {
  if (!isObject(value)) return void errors.push(`${at}: expected an object`);
  for (const [key, item] of Object.entries(value)) {
    const field = fields.get(key);
    if (!field) errors.push(`${at}.${key}: no such field in Kubernetes ${KUBERNETES_VERSION}`);
    else if (item !== null) check(item, field.type, `${at}.${key}`, errors);
  }
  for (const [key, field] of fields) {
    if (field.required && value[key] === undefined) errors.push(`${at}.${key}: required`);
  }
}

/** What is wrong with a manifest for a Kubernetes 1.31 API server; [] when nothing is. */
export function kubernetesErrors(manifest: Manifest): string[] {
  const { apiVersion, kind, ...rest } = manifest;
  const name = `${kind ?? '?'} ${manifest.metadata?.name ?? '?'}`;
  const props = load().kinds.get(`${apiVersion}/${kind}`);
  if (!props) return [`${name}: ${apiVersion}/${kind} is not a kind of Kubernetes ${KUBERNETES_VERSION}`];
  const errors: string[] = [];
  checkFields(rest, load().types.get(props) ?? new Map(), name, errors);
  errors.push(...openApiErrors(manifest, name));
  return errors;
}

/** kubernetes-models has one module per kind, found by name at run time. */
const loadModule = createRequire(__filename);

interface ModelClass {
  new (data: unknown): { validate(): void };
}

function openApiErrors(manifest: Manifest, name: string): string[] {
  // apiVersion "v1" is the core group's; "apps/v1", "networking.k8s.io/v1", ... name their group.
  let model: ModelClass | undefined;
  try {
    model = (loadModule(`kubernetes-models/${manifest.apiVersion}/${manifest.kind}`) as Record<string, ModelClass>)[manifest.kind as string];
  } catch {
    return [`${name}: kubernetes-models has no ${manifest.apiVersion}/${manifest.kind}`];
  }
  if (!model) return [`${name}: kubernetes-models has no ${manifest.apiVersion}/${manifest.kind}`];
  try {
    new model(manifest).validate();
    return [];
  } catch (error) {
    return [`${name}: ${(error as Error).message}`];
  }
}
