/**
 * A JSON array of objects, read as it streams: each element is parsed on its own
 * as soon as it is complete, so an answer of any size is never one string (the
 * engine's change list can pass V8's string limit: an attacker only needs deep
 * paths of escaped characters). The whole answer and each element are bounded.
 */
import { EngineRequestFailed } from '../../errors.js';

export interface JsonArrayLimits {
  maxBytes: number;
  maxElementBytes: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN = new Set([0x7b, 0x5b]); // { [
const CLOSE = new Set([0x7d, 0x5d]); // } ]
const isSpace = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;

export class AnswerTooLarge extends EngineRequestFailed {}

/**
 * The elements of the array `source` holds; `null` (how the engine says "none") is `[]`.
 * Elements must be objects or arrays; anything else fails as not a list.
 */
export async function parseJsonArray(
  source: AsyncIterable<Buffer>,
  what: string,
  limits: JsonArrayLimits,
): Promise<unknown[]> {
  const notAList = (detail: string) =>
    new EngineRequestFailed(
      `the engine sent ${what} that is not a JSON list (${detail})`,
      'Check the engine and its version.',
    );
  const items: unknown[] = [];
  let state: 'start' | 'array' | 'null' | 'done' = 'start';
  let literal = '';
  let depth = 0;
  let inString = false;
  let isEscaped = false;
  let pieces: Buffer[] = [];
  let elementBytes = 0;
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > limits.maxBytes)
      throw new AnswerTooLarge(
        `the engine's answer with ${what} is larger than ${limits.maxBytes} bytes`,
        'coroner reads what it needs another way where it can.',
      );
    let start = depth > 0 ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (state === 'start') {
        if (isSpace(b)) continue;
        if (b === 0x5b) state = 'array';
        else if (b === 0x6e) ((state = 'null'), (literal = 'n'));
        else throw notAList(`it starts with ${JSON.stringify(String.fromCharCode(b))}`);
        continue;
      }
      if (state === 'null') {
        literal += String.fromCharCode(b);
        if (literal.length > 8) throw notAList('not null');
        continue;
      }
      if (state === 'done') {
        if (isSpace(b)) continue;
        throw notAList('something follows the list');
      }
      if (depth === 0) {
        if (isSpace(b) || b === 0x2c) continue;
        if (b === 0x5d) state = 'done';
        else if (OPEN.has(b)) ((depth = 1), (start = i), (inString = false));
        else throw notAList('an element is not an object');
        continue;
      }
      if (inString) {
        if (isEscaped) isEscaped = false;
        else if (b === BACKSLASH) isEscaped = true;
        else if (b === QUOTE) inString = false;
        continue;
      }
      if (b === QUOTE) inString = true;
      else if (OPEN.has(b)) depth++;
      else if (CLOSE.has(b) && --depth === 0) {
        if (elementBytes + i + 1 - start > limits.maxElementBytes)
          throw notAList(`an element is larger than ${limits.maxElementBytes} bytes`);
        pieces.push(chunk.subarray(start, i + 1));
        const text = Buffer.concat(pieces).toString('utf8');
        pieces = [];
        elementBytes = 0;
        start = -1;
        try {
          items.push(JSON.parse(text));
        } catch {
          throw notAList('an element is not valid JSON');
        }
      }
    }
    if (depth > 0) {
      const rest = chunk.subarray(start);
      elementBytes += rest.length;
      if (elementBytes > limits.maxElementBytes)
        throw notAList(`an element is larger than ${limits.maxElementBytes} bytes`);
      pieces.push(rest);
    }
  }
  if (state === 'null' && literal.trim() === 'null') return [];
  if (state !== 'done') throw notAList('it ends before the list does');
  return items;
}
