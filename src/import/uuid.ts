// Time-ordered uuids (the UUIDv7 layout: 48-bit Unix milliseconds, then a counter and random
// bits) for the rows an import creates. Generated in file order, they make every index on them
// (primary keys, legacy_ids, foreign keys) grow at its right edge instead of at random pages:
// with a million rows and a small shared_buffers, random v4 uuids made the merge I/O-bound.
import { randomFillSync } from "node:crypto";

const pool = Buffer.alloc(16 * 4096);
let poolOffset = pool.length;
let lastMs = 0;
let sequence = 0;

export function uuidv7(): string {
  let ms = Date.now();
  if (ms <= lastMs) {
    // Same (or an earlier) millisecond: count up, borrowing the next millisecond when full.
    sequence++;
    if (sequence > 0xfff) {
      lastMs++;
      sequence = 0;
    }
    ms = lastMs;
  } else {
    lastMs = ms;
    sequence = 0;
  }
  if (poolOffset + 16 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const b = pool.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  b.writeUIntBE(ms, 0, 6);
  b[6] = 0x70 | (sequence >> 8);
  b[7] = sequence & 0xff;
  b[8] = 0x80 | (b[8]! & 0x3f);
  const hex = b.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
