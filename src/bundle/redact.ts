/**
 * --redact-env: environment values (database passwords and the like) masked in
 * the copies of case files that go into a bundle, where each file's source
 * declared it holds them (`EnvironmentHeld`: which fields, and how).
 */
import type { EnvironmentHeld } from '../report/artifact.js';

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
  // BuildKit writes the same build arguments after the instruction: `RUN |2 K=v K2=v2 …`.
  out = out.replace(
    /^((?:RUN )?\|\d+ )((?:[A-Za-z_][A-Za-z0-9_.-]*=\S*\s)+)/,
    (_all, head: string, args: string) => head + args.replace(ASSIGNMENT, `$1=${REDACTED}`),
  );
  return out;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `value` with `mask` applied at `path` (field names, `*` for any item or key); a copy where it changed. */
function maskAt(value: unknown, path: readonly string[], mask: (v: unknown) => unknown): unknown {
  if (path.length === 0) return mask(value);
  const [head, ...rest] = path as [string, ...string[]];
  if (Array.isArray(value)) {
    if (head === '*') return value.map((v) => maskAt(v, rest, mask));
    const i = /^\d+$/.test(head) ? Number(head) : -1;
    return i < 0 || i >= value.length
      ? value
      : value.map((v, at) => (at === i ? maskAt(v, rest, mask) : v));
  }
  if (!isRecord(value)) return value;
  const out: Record<string, unknown> = { ...value };
  for (const key of head === '*' ? Object.keys(value) : [head])
    if (Object.hasOwn(value, key)) out[key] = maskAt(value[key], rest, mask);
  return out;
}

const maskInstruction = (v: unknown): unknown =>
  typeof v === 'string'
    ? redactInstruction(v)
    : Array.isArray(v)
      ? v.map((x) => (typeof x === 'string' ? redactInstruction(x) : x))
      : v;

/**
 * A copy of a JSON case file with the environment values masked where its source declared
 * them (`EnvironmentHeld`): the declaration, not the file's name, says where they are.
 */
export function redactDeclared<T>(doc: T, held: EnvironmentHeld): T {
  let out: unknown = doc;
  for (const at of held.envLists) out = maskAt(out, at.split('.'), redactEnvList);
  for (const at of held.instructions ?? []) out = maskAt(out, at.split('.'), maskInstruction);
  return out as T;
}
