import { Type } from '@sinclair/typebox';
import { commonConfigSchema, ConfigError, readConfig } from './config';

describe('configuration from the environment', () => {
  const schema = Type.Composite([commonConfigSchema, Type.Object({ TSBIT_PORT: Type.Integer({ default: 8081, minimum: 1, maximum: 65535 }) })]);

  it('works on a developer machine with nothing set', () => {
    const config = readConfig(schema, {});
    expect(config.TSBIT_PORT).toBe(8081);
    expect(config.TSBIT_AMQP_PREFIX).toBe('tsbit');
    expect(config.TSBIT_EVENT_LOG).toBe('postgres');
  });

  it('converts numbers from their string form', () => {
    expect(readConfig(schema, { TSBIT_PORT: '9000' }).TSBIT_PORT).toBe(9000);
  });

  it('names every variable that breaks its rule', () => {
    expect(() => readConfig(schema, { TSBIT_PORT: 'eighty', TSBIT_EVENT_LOG: 'mysql' })).toThrow(ConfigError);
    try {
      readConfig(schema, { TSBIT_PORT: 'eighty', TSBIT_EVENT_LOG: 'mysql' });
    } catch (error) {
      const message = (error as Error).message;
      expect(message).toContain('TSBIT_PORT="eighty"');
      expect(message).toContain('TSBIT_EVENT_LOG="mysql"');
    }
  });
});
