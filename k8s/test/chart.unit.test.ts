import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';

const chart = path.join(__dirname, '..', '..', 'charts', 'tsbit');
const values = parse(readFileSync(path.join(chart, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const schema = JSON.parse(readFileSync(path.join(chart, 'values.schema.json'), 'utf8')) as object;
const example = (name: string) => parse(readFileSync(path.join(chart, 'examples', name), 'utf8')) as Record<string, unknown>;

/** What helm does with a values file: merged onto values.yaml (maps merge, lists replace). */
function merged(base: unknown, override: unknown): unknown {
  if (typeof base !== 'object' || base === null || Array.isArray(base) || typeof override !== 'object' || override === null || Array.isArray(override)) return override;
  const result: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(override)) result[key] = key in result ? merged(result[key], value) : value;
  return result;
}

describe('the Helm chart values', () => {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

  it.each([
    ['values.yaml', values],
    ['examples/dev.yaml', merged(values, example('dev.yaml'))],
    ['examples/production.yaml', merged(values, example('production.yaml'))],
  ])('%s satisfies the schema', (_name, candidate) => {
    expect({ valid: validate(candidate), errors: validate.errors ?? null }).toEqual({ valid: true, errors: null });
  });

  it('uses in its templates only values that values.yaml defines', () => {
    const templates = readdirSync(path.join(chart, 'templates')).map((file) => readFileSync(path.join(chart, 'templates', file), 'utf8'));
    const paths = new Set(templates.flatMap((text) => [...text.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g)].map((match) => match[1] as string)));
    expect(paths.size).toBeGreaterThan(20);
    for (const valuePath of paths) {
      const found = valuePath.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], values);
      expect({ valuePath, defined: found !== undefined }).toEqual({ valuePath, defined: true });
    }
  });
});
