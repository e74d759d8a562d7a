import { test } from 'node:test';
import assert from 'node:assert/strict';
import { followChain, formatLsn, parseHistory, parseLsn, segmentName, segmentNumber, segmentOfLsn, walNameOfObject, walObjectName, walRanges } from './wal.js';

const MB16 = 16 << 20;
const MB1 = 1 << 20;

test('segment names and LSN arithmetic (XLogFileName)', () => {
  assert.equal(segmentName(1, 0x100n, MB16), '000000010000000100000000');
  assert.equal(segmentNumber('0000000100000001000000FF', MB16), 0x1ffn);
  assert.equal(segmentName(3, segmentOfLsn(parseLsn('2/A0000028'), MB16), MB16), '0000000300000002000000A0');
  // 1 MiB segments: 4096 per log id
  assert.equal(segmentName(1, 4096n + 5n, MB1), '000000010000000100000005');
  assert.equal(formatLsn(parseLsn('1A/2B')), '1A/2B');
  assert.equal(walObjectName('000000010000000200000003'), 'wal/0000000100000002/000000010000000200000003.pgp');
  assert.equal(walObjectName('00000002.history'), 'wal/meta/00000002.history');
  assert.equal(walNameOfObject('wal/0000000100000002/000000010000000200000003.pgp'), '000000010000000200000003');
  assert.equal(walNameOfObject('wal/meta/000000010000000200000003.00000028.backup'), '000000010000000200000003.00000028.backup');
  assert.throws(() => walObjectName('../etc/passwd'), /not a WAL file name/);
});

test('ranges and gaps per timeline', () => {
  const names = [1, 2, 3, 5, 6, 9].map((n) => segmentName(1, BigInt(n), MB16)).concat([segmentName(2, 6n, MB16), segmentName(2, 7n, MB16)]);
  const { ranges, gaps } = walRanges(names.reverse(), MB16);
  assert.deepEqual(
    ranges.map((r) => [r.timeline, r.first.slice(-2), r.last.slice(-2), r.segments]),
    [
      [1, '01', '03', 3],
      [1, '05', '06', 2],
      [1, '09', '09', 1],
      [2, '06', '07', 2],
    ],
  );
  assert.deepEqual(
    gaps.map((g) => [g.timeline, g.from.slice(-2), g.to.slice(-2)]),
    [
      [1, '04', '04'],
      [1, '07', '08'],
    ],
  );
});

test('a chain follows the timeline switch and stops at the first hole', () => {
  const present = new Set([2, 3, 4, 5].map((n) => segmentName(1, BigInt(n), MB16)).concat([5, 6, 7].map((n) => segmentName(2, BigInt(n), MB16))));
  // Timeline 2 branched off timeline 1 at 0/5000100 (inside segment 5): timeline 1 is needed up to segment 4.
  const histories = new Map([[2, parseHistory('1\t0/5000100\tbefore 2026-11-21 20:00:00+00\n')]]);
  const newest = new Map([
    [1, 5n],
    [2, 7n],
  ]);
  const has = (name: string): boolean => present.has(name);
  const chain = followChain({ timeline: 1, segment: 2n }, 2n, has, newest, histories, MB16);
  assert.deepEqual(chain, { complete: true, lastSegment: segmentName(2, 7n, MB16), missing: null, timelines: [1, 2] });
  present.delete(segmentName(2, 6n, MB16));
  const broken = followChain({ timeline: 1, segment: 2n }, 2n, has, newest, histories, MB16);
  assert.equal(broken.complete, false);
  assert.equal(broken.missing, segmentName(2, 6n, MB16));
  assert.equal(broken.lastSegment, segmentName(2, 5n, MB16));
  // A backup whose own WAL (start..stop) is not archived is not restorable from the archive alone.
  const own = followChain({ timeline: 1, segment: 8n }, 9n, () => false, new Map(), new Map(), MB16);
  assert.equal(own.complete, false);
  assert.equal(own.missing, segmentName(1, 8n, MB16));
});
