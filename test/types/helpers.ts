// Exact type assertions for the type tests (no runtime effect).

/** true when A and B are the same type (not merely assignable). */
export type Equal<A, B> =
  (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false;

/**
 * `expectType<Expected>()(value)` compiles only when the value's type is
 * exactly Expected.
 */
export function expectType<Expected>() {
  return <Actual>(
    _value: Actual,
    ..._mismatch: Equal<Actual, Expected> extends true ? [] : [error: 'type mismatch', expected: Expected, actual: Actual]
  ): void => {};
}
