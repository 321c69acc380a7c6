module.exports = { ...require('../../jest.preset.cjs'), displayName: 'farm', rootDir: __dirname, testTimeout: 180000 };
