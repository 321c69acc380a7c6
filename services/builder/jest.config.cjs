module.exports = { ...require('../../jest.preset.cjs'), displayName: 'builder', rootDir: __dirname };
