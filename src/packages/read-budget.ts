/**
 * What reading one package database file may cost: steps (pages, cells, items, header
 * entries and strings visited) and bytes decoded (rows and values handed out, header data
 * turned into strings and numbers), both in proportion to the file's size. A real database
 * stores each thing once, so it spends about its own size; a forged one whose structures
 * all name the same bytes (issue 24: cell pointers, hash items, rpm tags) would spend
 * without end, and is stopped here instead, with how far it got. Created once per file and
 * passed to every reader of it, so no reader can be the one that forgets.
 */
export class BudgetExhausted extends Error {}

export interface ReadCost {
  steps: number;
  bytes: number;
}

// A real file's rows are its own bytes once, and a header's strings are its own bytes,
// scanned once when checked and once when read: three times the file in bytes. A step takes
// at least a byte (a string's NUL) and is taken at most twice. The spare covers the smallest
// files' fixed costs; a file past either bound names the same bytes more than once.
const STEPS_PER_BYTE = 2;
const BYTES_PER_BYTE = 4;
const SPARE_STEPS = 100_000;
const SPARE_BYTES = 1024 * 1024;
// Other work (a signal, the screen) gets a turn this often: a read never holds the loop long.
const STEPS_PER_TURN = 1 << 16;

export class ReadBudget {
  readonly maxSteps: number;
  readonly maxBytes: number;
  #steps = 0;
  #bytes = 0;
  #turnAt = STEPS_PER_TURN;

  constructor(limits: ReadCost) {
    this.maxSteps = limits.steps;
    this.maxBytes = limits.bytes;
  }

  /** The budget for a database file of `sizeBytes`. */
  static forFile(sizeBytes: number): ReadBudget {
    return new ReadBudget({
      steps: STEPS_PER_BYTE * sizeBytes + SPARE_STEPS,
      bytes: BYTES_PER_BYTE * sizeBytes + SPARE_BYTES,
    });
  }

  /** Counts `steps` visited and `bytes` decoded; throws BudgetExhausted past either bound. */
  spend(steps: number, bytes = 0): void {
    this.#steps += steps;
    this.#bytes += bytes;
    if (this.#steps > this.maxSteps || this.#bytes > this.maxBytes)
      throw new BudgetExhausted(
        `stopped after ${this.#steps.toLocaleString('en')} steps and ${this.#bytes.toLocaleString('en')} bytes decoded, ` +
          `more than a real database of this size needs (at most ${this.maxSteps.toLocaleString('en')} steps, ` +
          `${this.maxBytes.toLocaleString('en')} bytes): its structures name the same bytes over and over`,
      );
  }

  /** Yields to the event loop once every so many steps, so that a long read can be interrupted. */
  async turn(): Promise<void> {
    if (this.#steps < this.#turnAt) return;
    this.#turnAt = this.#steps + STEPS_PER_TURN;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }

  get spent(): ReadCost {
    return { steps: this.#steps, bytes: this.#bytes };
  }
}
