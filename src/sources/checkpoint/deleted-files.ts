/**
 * `deleted.files`: the JSON list of paths the container deleted, as podman and CRI-O write
 * it beside the rootfs diff (a tar cannot hold a deletion). The pod can make it name
 * anything, and as many paths as it likes: each string is taken one at a time from the
 * bytes (never one JSON.parse of the whole list), and the count is bounded.
 */

export interface DeletedFiles {
  paths: string[];
  /** Why the list was not read, or was read only in part. */
  problem?: string;
}

const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

/** The paths of a deleted.files document, at most `maxPaths` of them. */
export function parseDeletedFiles(bytes: Buffer, maxPaths: number): DeletedFiles {
  const paths: string[] = [];
  let at = 0;
  const skipSpace = () => {
    while (at < bytes.length && isSpace(bytes[at]!)) at++;
  };
  const notAList = (why: string): DeletedFiles => ({
    paths: [],
    problem: `deleted.files is not a JSON list of paths (${why}): no deletion is listed`,
  });
  skipSpace();
  if (bytes.subarray(at, at + 4).toString('latin1') === 'null') return { paths };
  if (bytes[at] !== 0x5b) return notAList('it does not start with [');
  at++;
  skipSpace();
  if (bytes[at] === 0x5d) return { paths };
  for (;;) {
    skipSpace();
    if (bytes[at] !== 0x22) return notAList(`an item at byte ${at} is not a string`);
    // The string's end: the next quote not escaped by a backslash.
    let end = at + 1;
    while (end < bytes.length && bytes[end] !== 0x22) end += bytes[end] === 0x5c ? 2 : 1;
    if (end >= bytes.length) return notAList('it ends inside a string');
    let value: unknown;
    try {
      value = JSON.parse(bytes.toString('utf8', at, end + 1));
    } catch {
      return notAList(`the string at byte ${at} is not valid JSON`);
    }
    if (paths.length >= maxPaths)
      return {
        paths,
        problem: `deleted.files names more than ${maxPaths} paths: only the first ${maxPaths} are listed`,
      };
    paths.push(value as string);
    at = end + 1;
    skipSpace();
    if (bytes[at] === 0x2c) {
      at++;
      continue;
    }
    if (bytes[at] === 0x5d) return { paths };
    return notAList(`byte ${at} is neither , nor ]`);
  }
}
