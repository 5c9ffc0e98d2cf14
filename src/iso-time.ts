/**
 * ISO 8601 UTC text for an instant, shared between equal instants: a large change set
 * repeats a few timestamps by the thousand (files written in the same second, captured
 * in the same millisecond), and a string per file and timestamp is memory held to the end.
 */
const recent = new Map<number, string>();
const RECENT_LIMIT = 4096;

export function isoTime(instant: Date | number = Date.now()): string {
  const ms = typeof instant === 'number' ? instant : instant.getTime();
  let text = recent.get(ms);
  if (text === undefined) {
    text = new Date(ms).toISOString();
    if (recent.size >= RECENT_LIMIT) recent.clear();
    recent.set(ms, text);
  }
  return text;
}

/** `2026-11-23T12:59:59.123Z` -> `20261123t125959z`: sortable, and valid as an image tag or a file name. */
export function utcStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'z')
    .toLowerCase();
}
