import { Type, type Static, type TObject } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

/** Settings every service shares; each service adds its own with `Type.Composite`. */
export const commonConfigSchema = Type.Object({
  TSBIT_DATABASE_URL: Type.String({ default: 'postgres://postgres@127.0.0.1:5432/test' }),
  TSBIT_PG_SCHEMA: Type.String({ default: 'tsbit', pattern: '^[a-z_][a-z0-9_]*$' }),
  TSBIT_EVENT_LOG: Type.Union([Type.Literal('postgres'), Type.Literal('eventstoredb')], { default: 'postgres' }),
  TSBIT_EVENTSTOREDB_URL: Type.String({ default: '' }),
  TSBIT_AMQP_URL: Type.String({ default: 'amqp://guest:guest@127.0.0.1:5672' }),
  TSBIT_AMQP_PREFIX: Type.String({ default: 'tsbit', pattern: '^[a-z0-9][a-z0-9_-]*$' }),
  TSBIT_LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info' },
  ),
});
export type CommonConfig = Static<typeof commonConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads a service's settings once, at start-up: defaults for what is unset, numbers and booleans
 * converted from their string form, and one error listing every variable that breaks its rule.
 */
export function readConfig<T extends TObject>(schema: T, env: NodeJS.ProcessEnv = process.env): Static<T> {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const candidate = Value.Convert(schema, Value.Default(schema, raw));
  const problems = [...Value.Errors(schema, candidate)].map((error) => {
    const variable = error.path.replace(/^\//, '');
    return `${variable}=${JSON.stringify(env[variable] ?? null)}: ${error.message}`;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return candidate as Static<T>;
}
