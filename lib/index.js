'use strict';
const { native } = require('./native');
const { DashMap } = require('./dash_map');
const { codes } = require('./errors');

/** Native maps alive in this process (all threads): a diagnostic for leaks. */
function liveMaps() {
  return native.liveMaps();
}

module.exports = { DashMap, liveMaps, codes };
