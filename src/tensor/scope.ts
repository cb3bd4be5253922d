// Synchronous memory scopes (DESIGN.md "Tensor memory in JavaScript", rule 2).
//
// scope(fn) runs fn and disposes every tensor created inside it, except the tensors in fn's return
// value (searched through arrays, plain objects and Maps), which move to the enclosing scope, and
// tensors marked with keep(), which no scope disposes. A scope cannot span `await`: given an async
// function, or a function returning a promise, it throws a ScopeError after freeing what it made.
//
// Objects that no scope owns (made outside every scope, returned from the outermost one, or kept)
// are guard()ed: handed to the garbage-collector safety net, which frees them if nobody disposes
// them. Scope-owned objects skip that cost: their scope frees them.
import { ScopeError } from './errors.js';

/** Anything a scope can own: tensors, and any future native-backed object. */
export abstract class Scoped {
  /** Set by keep(): no scope disposes this object. */
  kept = false;
  abstract dispose(): void;
  /** No scope owns this object any more: let the garbage collector free it if nobody disposes it. */
  abstract guard(): void;
}

const stack: Scoped[][] = [];
let current: Scoped[] | null = null;

export function track(obj: Scoped): void {
  if (current !== null) current.push(obj);
  else obj.guard();
}

/** Marks a tensor (or an array/object of them) as outliving every scope; dispose it yourself. */
export function keep<T>(value: T): T {
  forEachScoped(
    value,
    (s) => {
      s.kept = true;
      s.guard();
    },
    0,
  );
  return value;
}

export function scopeDepth(): number {
  return stack.length;
}

export function scope<T>(fn: () => T, name = 'scope'): T {
  if (typeof fn !== 'function') throw new ScopeError(name, 'scope() needs a function');
  if (fn.constructor?.name === 'AsyncFunction' || fn.constructor?.name === 'AsyncGeneratorFunction') {
    throw new ScopeError(
      name,
      'scope() was given an async function; a scope cannot span await. ' +
        'Use scopes inside the async code, or `using` / dispose() for tensors that live across await',
    );
  }
  const mine: Scoped[] = [];
  stack.push(mine);
  current = mine;
  let result: T;
  try {
    result = fn();
  } catch (err) {
    pop();
    disposeAll(mine, null);
    throw err;
  }
  pop();
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    disposeAll(mine, null);
    throw new ScopeError(name, 'the scoped function returned a promise; a scope cannot span await');
  }
  const returned = new Set<Scoped>();
  forEachScoped(result, (s) => returned.add(s), 0);
  disposeAll(mine, returned);
  if (current !== null) for (const s of returned) current.push(s);
  else for (const s of returned) s.guard();
  return result;
}

function pop(): void {
  stack.pop();
  current = stack.length ? stack[stack.length - 1]! : null;
}

function disposeAll(objs: Scoped[], except: Set<Scoped> | null): void {
  for (const s of objs) if (!s.kept && (except === null || !except.has(s))) s.dispose();
}

function forEachScoped(value: unknown, f: (s: Scoped) => void, depth: number): void {
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if (value instanceof Scoped) {
    f(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) forEachScoped(v, f, depth + 1);
    return;
  }
  if (value instanceof Map) {
    for (const v of value.values()) forEachScoped(v, f, depth + 1);
    return;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) for (const v of Object.values(value)) forEachScoped(v, f, depth + 1);
}
