import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';

const chart = path.join(__dirname, '..', '..', 'charts', 'tsbit');
const values = parse(readFileSync(path.join(chart, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const schema = JSON.parse(readFileSync(path.join(chart, 'values.schema.json'), 'utf8')) as object;

describe('the Helm chart', () => {
  const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

  it('ships values that satisfy its own schema', () => {
    expect(validate(values)).toBe(true);
  });

  it('refuses values that would deploy a broken farm', () => {
    expect(validate({ ...values, config: { ...(values.config as object), eventLog: 'mysql' } })).toBe(false);
    const pools = values.builderPools as object[];
    expect(validate({ ...values, builderPools: [{ ...(pools[0] as object), nodeSelector: {} }] })).toBe(false);
  });

  it('uses in its templates only values that values.yaml defines', () => {
    const templates = readdirSync(path.join(chart, 'templates')).map((file) => readFileSync(path.join(chart, 'templates', file), 'utf8'));
    const paths = new Set(templates.flatMap((text) => [...text.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g)].map((match) => match[1] as string)));
    expect(paths.size).toBeGreaterThan(5);
    for (const valuePath of paths) {
      const found = valuePath.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], values);
      expect({ valuePath, defined: found !== undefined }).toEqual({ valuePath, defined: true });
    }
  });
});
