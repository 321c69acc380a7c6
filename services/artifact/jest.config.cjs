module.exports = { ...require('../../jest.preset.cjs'), displayName: 'artifact', rootDir: __dirname };
