/**
 * --redact-env: environment values (database passwords and the like) masked in
 * the copies of inspect documents and the report that go into a bundle.
 */
export const REDACTED = '<redacted by coroner>';

export function redactEnvList(env: unknown): unknown {
  if (!Array.isArray(env)) return env;
  return env.map((item) => {
    if (typeof item !== 'string') return item;
    const eq = item.indexOf('=');
    return eq < 0 ? item : `${item.slice(0, eq + 1)}${REDACTED}`;
  });
}

/** A deep copy of an inspect-like document with every Config.Env / ContainerConfig.Env value masked. */
export function redactEnv<T>(doc: T): T {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === 'Env' ? redactEnvList(v) : walk(v);
    return out;
  };
  return walk(doc) as T;
}
