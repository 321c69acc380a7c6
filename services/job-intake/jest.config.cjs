const preset = require('../../jest.preset.cjs');

// TypeBox 1.x (the schemas of @fastify/type-provider-typebox) ships only ES modules, which jest's
// loader cannot read: they are compiled like the preset's other ESM-only packages.
module.exports = {
  ...preset,
  displayName: 'job-intake',
  rootDir: __dirname,
  transformIgnorePatterns: ['/node_modules/(?!(cookie|content-disposition|typebox)/)'],
};
