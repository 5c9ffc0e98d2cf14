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

/** One `KEY=value` (value maybe quoted) or a legacy `KEY value`. */
const ASSIGNMENT = /([A-Za-z_][A-Za-z0-9_.-]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;

/**
 * The values of a build instruction as an image records it (history's CreatedBy, the
 * last step's ContainerConfig.Cmd): `ENV K=v K2=v2`, the legacy `ENV K v`, and the
 * `|2 K=v K2=v2 /bin/sh -c …` build arguments that prefix a RUN.
 */
export function redactInstruction(text: string): string {
  let out = text.replace(/(\bENV\s+)(.*)$/s, (_all, head: string, rest: string) => {
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*=/.test(rest))
      return `${head}${rest.replace(/^(\S+)\s+.*$/s, `$1 ${REDACTED}`)}`;
    return head + rest.replace(ASSIGNMENT, `$1=${REDACTED}`);
  });
  out = out.replace(
    /^(\|\d+ )((?:[A-Za-z_][A-Za-z0-9_.-]*=\S*\s)+)/,
    (_all, head: string, args: string) => head + args.replace(ASSIGNMENT, `$1=${REDACTED}`),
  );
  return out;
}

/**
 * A deep copy of an inspect-like document (container or image inspect, image history)
 * with every environment value masked: `Env` lists, and the ENV and build-argument values
 * that `CreatedBy` and `Cmd` strings record.
 */
export function redactEnv<T>(doc: T): T {
  const walk = (value: unknown, key?: string): unknown => {
    if (typeof value === 'string')
      return key === 'CreatedBy' || key === 'Cmd' ? redactInstruction(value) : value;
    if (Array.isArray(value)) return value.map((v) => walk(v, key));
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = k === 'Env' ? redactEnvList(v) : walk(v, k);
    return out;
  };
  return walk(doc) as T;
}
