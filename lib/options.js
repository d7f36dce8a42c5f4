'use strict';
// Option validation shared by the map classes: TypeError for a wrong type,
// RangeError for a value out of range, before any native code runs.

// The shape every options argument must have: a plain object (`what`
// names the call in the message). A Map or Set has no own option names: it
// would pass as "no options".
function checkOptionsShape(options, what) {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${what}: options must be an object`);
  }
  if (typeof options[Symbol.iterator] === 'function') {
    throw new TypeError(`${what}: options must be a plain object, not an iterable (${options.constructor?.name ?? 'object'})`);
  }
}

function checkOptions(options, className, allowed) {
  if (options === undefined) return {};
  checkOptionsShape(options, className);
  for (const name of Object.keys(options)) {
    if (!allowed.includes(name)) {
      throw new TypeError(`${className}: unknown option "${name}" (known: ${allowed.join(', ')})`);
    }
  }
  return options;
}

function integerOption(value, name, className, { min, max }) {
  if (typeof value !== 'number') {
    throw new TypeError(`${className}: ${name} must be a number, got ${typeof value}`);
  }
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${className}: ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

function powerOfTwoOption(value, name, className, max) {
  integerOption(value, name, className, { min: 1, max });
  if ((value & (value - 1)) !== 0) {
    throw new RangeError(`${className}: ${name} must be a power of two, got ${value}`);
  }
  return value;
}

module.exports = { checkOptions, checkOptionsShape, integerOption, powerOfTwoOption };

// A wait limit in milliseconds: a non-negative integer, or Infinity (wait
// as long as it takes). undefined stays undefined (the caller's default).
function timeoutOption(value, name, className) {
  if (value === undefined || value === Infinity) return value;
  if (typeof value !== 'number') {
    throw new TypeError(`${className}: ${name} must be a number of milliseconds, got ${typeof value}`);
  }
  if (!Number.isInteger(value) || value < 0 || value > 2 ** 31 - 1) {
    throw new RangeError(`${className}: ${name} must be an integer number of milliseconds in [0, 2^31 - 1] or Infinity, got ${value}`);
  }
  return value;
}

// An AbortSignal (or undefined).
function signalOption(value, className) {
  if (value === undefined) return undefined;
  if (!(value instanceof AbortSignal)) throw new TypeError(`${className}: signal must be an AbortSignal`);
  return value;
}

module.exports.timeoutOption = timeoutOption;
module.exports.signalOption = signalOption;

// maxKeyBytes / maxValueBytes: [maxKeyBytes, maxValueBytes] for the native
// constructor (undefined: the defaults, 64 KiB and 64 MiB).
function limitOptions(opts, className) {
  return [
    opts.maxKeyBytes === undefined ? undefined
      : integerOption(opts.maxKeyBytes, 'maxKeyBytes', className, { min: 1, max: 2 ** 30 }),
    opts.maxValueBytes === undefined ? undefined
      : integerOption(opts.maxValueBytes, 'maxValueBytes', className, { min: 1, max: 2 ** 32 - 1 }),
  ];
}

module.exports.limitOptions = limitOptions;
