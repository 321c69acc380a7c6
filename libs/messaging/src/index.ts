export * from './topology';
export * from './errors';
export * from './broker';
export * from './relay';
