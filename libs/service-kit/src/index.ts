export * from './config';
export * from './logger';
export * from './problems';
export * from './http';
export * from './metrics';
export * from './lifecycle';
export * from './telemetry';
export * from './wait';
