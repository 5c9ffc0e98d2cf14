/**
 * CRC-64 with the ISO polynomial, as Go's hash/crc64 computes it (reflected,
 * initial and final value all ones): the checksum tar-split records for every
 * file of an image layer. Two 32-bit halves, not BigInt, to stay fast.
 * https://pkg.go.dev/hash/crc64#pkg-constants
 */

// The ISO polynomial 0xD800000000000000 in reflected form: high half 0xD8000000, low half 0.
const POLY_HIGH = 0xd8000000;

const TABLE_HIGH = new Uint32Array(256);
const TABLE_LOW = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let high = 0;
  let low = i;
  for (let bit = 0; bit < 8; bit++) {
    const carry = low & 1;
    low = ((low >>> 1) | ((high & 1) << 31)) >>> 0;
    high = high >>> 1;
    if (carry) high = (high ^ POLY_HIGH) >>> 0;
  }
  TABLE_HIGH[i] = high;
  TABLE_LOW[i] = low;
}

export class Crc64 {
  // The running value, inverted (Go's crc64.Update inverts on the way in and out).
  private high = 0xffffffff;
  private low = 0xffffffff;

  update(data: Uint8Array): this {
    let high = this.high;
    let low = this.low;
    for (let i = 0; i < data.length; i++) {
      const index = (low ^ data[i]!) & 0xff;
      low = ((low >>> 8) | ((high & 0xff) << 24)) >>> 0;
      high = high >>> 8;
      high = (high ^ TABLE_HIGH[index]!) >>> 0;
      low = (low ^ TABLE_LOW[index]!) >>> 0;
    }
    this.high = high;
    this.low = low;
    return this;
  }

  /** The checksum as Go's Sum appends it: 8 bytes, big-endian. */
  digest(): Buffer {
    const out = Buffer.alloc(8);
    out.writeUInt32BE(~this.high >>> 0, 0);
    out.writeUInt32BE(~this.low >>> 0, 4);
    return out;
  }
}
