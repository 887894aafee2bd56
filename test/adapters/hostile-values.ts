// fast-check arbitraries for what a platform boundary may hand a `normalize`: wrong types, getters
// and Proxy traps that throw, objects that refuse to become strings, Date look-alikes, revoked Proxies.
import fc from 'fast-check';

const boom = () => {
  throw new Error('hostile');
};

/** An object whose every read (and key listing, prototype lookup, `in`) throws. */
export function throwingProxy(): object {
  return new Proxy({}, { get: boom, has: boom, ownKeys: boom, getOwnPropertyDescriptor: boom, getPrototypeOf: boom, apply: boom });
}

/** A Proxy that was revoked: any operation on it throws TypeError. */
export function revokedProxy(): object {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
}

/** `base` with `key` turned into a getter that throws. */
export function withThrowingGetter<T extends object>(base: T, key: string): T {
  const copy: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  delete copy[key];
  return Object.defineProperty(copy, key, { get: boom, enumerable: true, configurable: true }) as T;
}

/** Objects that throw or lie when turned into a primitive. */
const unprintables: [string, () => unknown][] = [
  ['{toString/valueOf throw}', () => ({ toString: boom, valueOf: boom })],
  ['{[Symbol.toPrimitive] throws}', () => ({ [Symbol.toPrimitive]: boom })],
  ['{toString → "国网内推"}', () => ({ toString: () => '国网内推', valueOf: () => 42 })],
  ['Object.create(null)', () => Object.create(null)],
  ['new String(…)', () => new String('看起来像文字')],
  ['Date look-alike', () => Object.assign(Object.create(Date.prototype), { toISOString: () => '2026-11-21T00:00:00.000Z' })],
  ['Proxy(Date)', () => new Proxy(new Date('2026-11-21T00:00:00Z'), {})],
  ['Date with throwing getTime', () => Object.assign(new Date('2026-11-21T00:00:00Z'), { getTime: boom, toISOString: boom })],
  ['Invalid Date', () => new Date(Number.NaN)],
  ['[throwing Proxy]', () => [throwingProxy()]],
  ['throwing Proxy', throwingProxy],
  ['revoked Proxy', revokedProxy],
  ['Symbol', () => Symbol('s')],
  ['BigInt', () => 10n ** 30n],
  ['function', () => () => 'a function'],
];

/**
 * Values are built inside the property from these recipes (thunks): fast-check inspects what it
 * generates, and a revoked or throwing Proxy would break fast-check itself before it reached the code.
 */
export type Recipe = () => unknown;

/** A recipe that fast-check prints as `label` in a counterexample. */
function recipe(make: () => unknown, label: string): Recipe {
  return Object.assign(make, { [fc.toStringMethod]: () => label });
}

/** One value that may break a careless reader. */
export const hostileValue: fc.Arbitrary<Recipe> = fc.oneof(
  {
    arbitrary: fc
      .anything({ withBigInt: true, withDate: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true })
      .map((v) => recipe(() => v, fc.stringify(v))),
    weight: 3,
  },
  { arbitrary: fc.integer({ min: 0, max: unprintables.length - 1 }).map((i) => recipe(unprintables[i]![1], unprintables[i]![0])), weight: 3 },
  { arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((v) => recipe(() => v, fc.stringify(v))), weight: 2 },
  {
    arbitrary: fc.constantFrom('', ' ', '\n\t', '\u0000', '\ud800', '__proto__', 'constructor', 'toString').map((v) => recipe(() => v, fc.stringify(v))),
    weight: 1,
  },
);

/**
 * A message-shaped record: each field either a good value (from `good`) or a hostile one, and now and
 * then one field turned into a throwing getter, or the whole record replaced by a hostile value.
 */
export function hostileRecord(good: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<Recipe> {
  const keys = Object.keys(good);
  const fields = Object.fromEntries(
    keys.map((k) => [k, fc.oneof({ arbitrary: good[k]!.map((v) => recipe(() => v, fc.stringify(v))), weight: 3 }, { arbitrary: hostileValue, weight: 1 })]),
  );
  const record = (fc.record(fields, { requiredKeys: [] }) as fc.Arbitrary<Record<string, Recipe>>).map((r) =>
    recipe(
      () => Object.fromEntries(Object.entries(r).map(([k, make]) => [k, make()])),
      `{ ${Object.entries(r).map(([k, make]) => `${k}: ${fc.stringify(make)}`).join(', ')} }`,
    ),
  );
  return fc.oneof(
    { arbitrary: record, weight: 6 },
    {
      arbitrary: fc.tuple(record, fc.constantFrom(...keys)).map(([make, k]) => recipe(() => withThrowingGetter(make() as object, k), `${fc.stringify(make)} with a throwing getter for ${k}`)),
      weight: 2,
    },
    { arbitrary: hostileValue, weight: 1 },
    { arbitrary: fc.constantFrom(null, undefined).map((v) => recipe(() => v, String(v))), weight: 1 },
  );
}
