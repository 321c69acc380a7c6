module.exports = { ...require('../../jest.preset.cjs'), displayName: 'event-log', rootDir: __dirname };
