// Config arguments (diffusers JSON: scheduler_config.json, config.json) come as objects or JSON text;
// the bindings take JSON text.

/**
 * JSON text for `config` (an object or JSON text), with `overrides` replacing keys as in diffusers'
 * `from_config(config, **kwargs)`. `what` names the config in errors ('scheduler config').
 */
export function configText(config, what, overrides = undefined) {
  let base = config ?? {};
  if (typeof base === 'string') {
    try {
      base = JSON.parse(base);
    } catch (e) {
      throw new Error(`${what} is not valid JSON: ${e.message}`);
    }
  }
  if (typeof base !== 'object' || Array.isArray(base)) throw new TypeError(`${what} must be an object or a JSON string`);
  return JSON.stringify({ ...base, ...(overrides ?? {}) });
}
