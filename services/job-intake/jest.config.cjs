module.exports = { ...require('../../jest.preset.cjs'), displayName: 'job-intake', rootDir: __dirname };
