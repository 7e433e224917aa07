// The part of the Reflect metadata API that @peculiar/x509's dependency tsyringe checks for and
// uses (getMetadata, getOwnMetadata, defineMetadata, hasMetadata, metadata), installed only when
// absent. @peculiar/x509's README asks for a polyfill such as reflect-metadata; these 30 lines
// spare a dependency. Imported by certificates.ts before @peculiar/x509 (ESM evaluates imports in order).
type Key = string | symbol | undefined;
const store = new WeakMap<object, Map<Key, Map<unknown, unknown>>>();

function table(target: object, prop: Key, create: boolean): Map<unknown, unknown> | undefined {
  let byProp = store.get(target);
  if (!byProp) {
    if (!create) return undefined;
    store.set(target, (byProp = new Map<Key, Map<unknown, unknown>>()));
  }
  let t = byProp.get(prop);
  if (!t && create) byProp.set(prop, (t = new Map<unknown, unknown>()));
  return t;
}

function lookup(key: unknown, target: object, prop?: Key): { found: boolean; value: unknown } {
  for (let t: object | null = target; t; t = Object.getPrototypeOf(t) as object | null) {
    const m = table(t, prop, false);
    if (m?.has(key)) return { found: true, value: m.get(key) };
  }
  return { found: false, value: undefined };
}

const R = Reflect as unknown as Record<string, unknown>;
if (typeof R.getMetadata !== 'function') {
  Object.assign(R, {
    defineMetadata: (key: unknown, value: unknown, target: object, prop?: Key) => void table(target, prop, true)!.set(key, value),
    getOwnMetadata: (key: unknown, target: object, prop?: Key) => table(target, prop, false)?.get(key),
    hasOwnMetadata: (key: unknown, target: object, prop?: Key) => table(target, prop, false)?.has(key) ?? false,
    getMetadata: (key: unknown, target: object, prop?: Key) => lookup(key, target, prop).value,
    hasMetadata: (key: unknown, target: object, prop?: Key) => lookup(key, target, prop).found,
    metadata: (key: unknown, value: unknown) => (target: object, prop?: Key) => void table(target, prop, true)!.set(key, value),
  });
}

export {};
