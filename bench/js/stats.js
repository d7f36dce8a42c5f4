'use strict';
// The one median of the benchmark scripts (bench/js, bench/js/compare,
// scripts/): the middle value, or the mean of the two middle values of an
// even count. Does not change its argument.
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

module.exports = { median };
