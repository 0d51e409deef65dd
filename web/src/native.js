// Glue between the wrapper classes and the Embind module: error values become Errors, and every
// wrapper owns one C++ object that dispose() frees (a FinalizationRegistry frees forgotten ones).
import { getNative } from './loader.js';

/** Throws an Error with the core's message when a binding returned { error }; a run the caller
 *  cancelled ({ error, cancelled: true }) throws one named 'AbortError', as fetch() and AbortSignal do. */
export function check(result) {
  if (typeof result === 'string') {
    if (result !== '') throw new Error(result);
    return undefined;
  }
  if (result !== null && typeof result === 'object' && typeof result.error === 'string') {
    const e = new Error(result.error);
    if (result.cancelled === true) e.name = 'AbortError';
    throw e;
  }
  return result;
}

const finalizer = new FinalizationRegistry((handle) => {
  if (!handle.isDeleted()) handle.delete();
});

/** Base of every wrapper that owns a C++ object (an Embind handle). */
export class NativeObject {
  #handle;
  #kind;

  /** @param {string} kind the native class name, e.g. 'DDIMScheduler'; `args` go to its constructor */
  constructor(kind, ...args) {
    this.#kind = kind;
    const Native = getNative()[kind];
    if (typeof Native !== 'function') throw new Error(`${kind} is not available in this build of ddpm-wasm`);
    this.#handle = new Native(...args);
    finalizer.register(this, this.#handle, this);
  }

  /** The live Embind handle; throws once disposed. */
  get native() {
    if (!this.#handle) throw new Error(`${this.#kind} was disposed`);
    return this.#handle;
  }

  get disposed() {
    return this.#handle === null;
  }

  /** Frees the C++ object now. Later calls do nothing; any other use throws. */
  dispose() {
    if (!this.#handle) return;
    finalizer.unregister(this);
    this.#handle.delete();
    this.#handle = null;
  }
}

// `using s = DDIMScheduler.fromConfig(...)` where the runtime has explicit resource management.
if (typeof Symbol.dispose === 'symbol') {
  NativeObject.prototype[Symbol.dispose] = function dispose() {
    this.dispose();
  };
}
