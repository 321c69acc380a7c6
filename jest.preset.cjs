// Shared by every project's jest.config.cjs: swc compiles TypeScript (fast, no type-check; `build`
// type-checks), and the workspace's path aliases resolve to each library's src/index.ts.
const path = require('node:path');
const { compilerOptions } = require('./tsconfig.base.json');

const esmOnlyPackages = ['cookie', 'content-disposition'];

const moduleNameMapper = Object.fromEntries(
  Object.entries(compilerOptions.paths).map(([alias, [target]]) => [`^${alias}$`, path.join(__dirname, target)]),
);

module.exports = {
  testEnvironment: 'node',
  // A ceiling, not a measurement: two projects' suites share two cores with real sbuild builds, and
  // a request that takes 50 ms on a quiet machine can take seconds then. Speed lives in bench/.
  testTimeout: 30_000,
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
    // ESM-only dependencies (Node 20 loads them natively; jest's module loader cannot).
    '^.+\\.m?js$': ['@swc/jest', { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnlyPackages.join('|')})/)`],
  moduleNameMapper,
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
};
