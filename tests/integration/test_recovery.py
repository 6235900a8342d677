"""What a node makes of its data dir at start: torn WAL tails, corruption,
seed files, the owner check and lock, and snapshots (protocol/WAL.md,
DESIGN.md section 8). Files are damaged by hand between kill -9 and restart."""

import ctypes
import glob
import json
import mmap
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import DEL, OK, PUT, NodeTestCase, b, poll, run_node_once

BLOCK = 32768
FULL, FIRST, LAST = 1, 2, 4
RECYCLABLE = range(5, 9)  # FULL, FIRST, MIDDLE, LAST with the segment's number


def header_size(data):
    """Fragment header bytes in a file: crc u32 | length u16 | type u8, and
    for recyclable fragments (as kv-node writes its segments) | segment u32."""
    return 11 if len(data) > 6 and data[6] in RECYCLABLE else 7


def records(data):
    """[(start, end, payload)] of the complete records at the front of a WAL
    segment or snapshot (protocol/WAL.md section 2), up to the first fragment
    of another segment (a reused file's older records); CRCs are not checked."""
    out, pos, start, payload = [], 0, 0, b""
    header = header_size(data)
    number = data[7:11] if header == 11 else None
    while pos + header <= len(data):
        left = BLOCK - pos % BLOCK
        if left < header:  # block trailer
            pos += left
            continue
        length, kind = int.from_bytes(data[pos + 4:pos + 6], "big"), data[pos + 6]
        if number is not None:
            if kind not in RECYCLABLE or data[pos + 7:pos + 11] != number:
                break
            kind -= 4
        if kind == 0 or pos + header + length > len(data):
            break
        if kind in (FULL, FIRST):
            start, payload = pos, b""
        payload += data[pos + header:pos + header + length]
        pos += header + length
        if kind in (FULL, LAST):
            out.append((start, pos, payload))
    return out


def entry_key(payload):
    """The key of an entry payload (op u8 | hlc u64 | node u32 | key bytes...)."""
    n = int.from_bytes(payload[13:17], "big")
    return payload[17:17 + n]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def write(path, data):
    with open(path, "wb") as f:
        f.write(data)


def numbered(data_dir, pattern):
    """{seq: path} of wal-*.log / snapshot-*.dat files."""
    paths = glob.glob(os.path.join(data_dir, pattern))
    return {int(os.path.basename(p).split("-")[1].split(".")[0]): p for p in paths}


def cached_bytes(path):
    """Bytes of the file at `path` in the page cache (mincore over a
    read-only mapping, which reads nothing in)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                          ctypes.c_int, ctypes.c_long]
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    size = os.path.getsize(path)
    fd = os.open(path, os.O_RDONLY)
    try:
        addr = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
    finally:
        os.close(fd)
    if addr in (None, ctypes.c_void_p(-1).value):
        raise OSError(ctypes.get_errno(), "mmap of " + path)
    pages = (ctypes.c_ubyte * ((size + mmap.PAGESIZE - 1) // mmap.PAGESIZE))()
    try:
        if libc.mincore(addr, size, pages) != 0:
            raise OSError(ctypes.get_errno(), "mincore of " + path)
    finally:
        libc.munmap(addr, size)
    return mmap.PAGESIZE * sum(p & 1 for p in pages)


def file_system_of(directory):
    """The type of the file system holding `directory` (stat -f)."""
    return subprocess.run(["stat", "-f", "-c", "%T", directory], capture_output=True,
                          text=True, check=True).stdout.strip()


def can_preallocate(directory):
    """Whether the file system of `directory` takes fallocate(KEEP_SIZE)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_long, ctypes.c_long]
    fd, path = tempfile.mkstemp(dir=directory)
    try:
        return libc.fallocate(fd, 1, 0, 1 << 20) == 0  # 1: FALLOC_FL_KEEP_SIZE
    finally:
        os.close(fd)
        os.remove(path)


class RecoveryTestCase(NodeTestCase):
    def setUp(self):
        self.workdir = self.tempdir()
        self.data = os.path.join(self.workdir, "data")

    def start(self, **flags):
        return self.start_node(workdir=self.workdir, no_repl=True, **flags)

    def refused(self, needles, **flags):
        """Starts the node, expecting exit code 1 with all needles in stderr."""
        r = run_node_once(self.workdir, no_repl=True, **flags)
        err = r.stderr.decode()
        self.assertEqual(r.returncode, 1, err)
        for needle in needles:
            self.assertIn(needle, err)
        self.assertNotIn("READY", r.stdout.decode())
        return err

    def fill(self, node, values):
        """PUTs {key: value} in order, pipelined; all must be acknowledged."""
        replies = self.binary(node).pipeline([(PUT, b(k) + b(v)) for k, v in values.items()])
        self.assertEqual([r.status for r in replies], [OK] * len(values))

    def last_segment(self):
        segments = numbered(self.data, "wal-*.log")
        return segments[max(segments)]


class TornTailTest(RecoveryTestCase):
    def test_cut_last_segment_keeps_a_prefix(self):
        node = self.start()
        # Every fifth value spans blocks (FIRST, MIDDLE, LAST fragments).
        values = {b"key-%03d" % i: (b"%03d:" % i) * (10000 if i % 5 == 0 else 120)
                  for i in range(60)}
        self.fill(node, values)
        node.kill()
        segment = self.last_segment()
        data = read(segment)
        recs = records(data)
        self.assertEqual([entry_key(p) for _, _, p in recs], list(values), "record order")
        self.assertEqual(recs[-1][1], len(data))
        pristine = os.path.join(self.workdir, "pristine")
        shutil.copytree(self.data, pristine)

        big = recs[-5]  # the last multi-block record
        self.assertGreater(big[1] - big[0], BLOCK)
        cuts = sorted({len(data) - 1, len(data) - 7, len(data) - 100,
                       big[0] + 3,                 # inside its first header
                       (big[0] + big[1]) // 2,     # between its fragments
                       big[1] - 1, big[1],         # one byte short of its end, its end
                       recs[30][1] + 1, 0})
        present = []
        for cut in cuts:
            with self.subTest(cut=cut):
                shutil.rmtree(self.data)
                shutil.copytree(pristine, self.data)
                os.truncate(segment, cut)
                expected = {k: (v if end <= cut else None)
                            for (_, end, _), (k, v) in zip(recs, values.items())}
                good_end = max([end for _, end, _ in recs if end <= cut], default=0)
                for restart in range(2):  # the second start finds the truncated file
                    node = self.start()
                    self.assert_values(node, expected)
                    self.assertEqual(os.path.getsize(segment), good_end)
                    node.kill()
                present.append(sum(v is not None for v in expected.values()))
        self.assertEqual(present, sorted(present), "keys present not monotonic in the cut")
        self.assertEqual((present[0], present[-1]), (0, len(values) - 1))

    def test_zero_filled_tail_is_torn(self):
        node = self.start()
        values = {b"z%d" % i: b"v%d" % i for i in range(10)}
        self.fill(node, values)
        node.kill()
        segment = self.last_segment()
        with open(segment, "ab") as f:
            f.write(b"\0" * 40000)  # past the end of the block
        node = self.start()
        self.assert_values(node, values)
        self.assertTrue(node.wait_log("truncated a torn WAL tail of 40000 bytes"))


class CorruptionTest(RecoveryTestCase):
    def setUp(self):
        super().setUp()
        node = self.start()
        self.values = {b"c%04d" % i: (b"%04d" % i) * 256 for i in range(300)}  # ~10 blocks
        self.fill(node, self.values)
        node.kill()
        self.segment = self.last_segment()
        self.header = header_size(read(self.segment))
        self.recs = records(read(self.segment))
        self.assertEqual(len(self.recs), len(self.values))

    def test_flipped_byte_refuses_start_unless_skip_corrupt(self):
        start, end, _ = self.recs[5]
        with open(self.segment, "r+b") as f:
            f.seek(start + self.header + 40)
            byte = f.read(1)
            f.seek(-1, os.SEEK_CUR)
            f.write(bytes([byte[0] ^ 0x10]))
        self.refused(["kv-node: WAL corruption in %s at offset %d: fragment checksum mismatch"
                      % (self.segment, start), "--wal-recovery=skip-corrupt"])
        self.assertIn("%s at offset %d" % (self.segment, start), self.node_log())

        # skip-corrupt: every record with a fragment between the damage and
        # the end of its block is lost, every other one is served.
        node = self.start(wal_recovery="skip-corrupt")
        next_block = (start // BLOCK + 1) * BLOCK
        expected = {k: (None if start <= s < next_block else v)
                    for (s, _, _), (k, v) in zip(self.recs, self.values.items())}
        lost = sum(v is None for v in expected.values())
        self.assertGreater(lost, 1)
        self.assert_values(node, expected)
        self.assertEqual(int(self.info(node)["keys"]), len(self.values) - lost)
        self.assertTrue(node.wait_log("skipped 1 corrupt WAL regions"))

    def test_torn_tail_in_an_earlier_segment_is_corruption(self):
        node = self.start()  # a second, newer segment
        node.kill()
        os.truncate(self.segment, self.recs[-1][1] - 1)
        self.refused([self.segment, "not the last one"])

    def node_log(self):
        logs = glob.glob(os.path.join(self.workdir, "logs", "n1", "*.log"))
        return "".join(read(p).decode("utf-8", "replace") for p in logs)


class SeedFileTest(RecoveryTestCase):
    def write_seed(self, content, name="seed.json"):
        os.makedirs(self.data, exist_ok=True)
        path = os.path.join(self.data, name)
        write(path, content.encode())
        return path

    def test_imported_once_at_the_lowest_version(self):
        self.write_seed(json.dumps({"a": "1", "b": 2, "c": "x"}))
        node = self.start()
        self.assert_values(node, {b"a": b"1", b"b": b"2", b"c": b"x"})
        resp = self.resp(node)
        self.assertEqual(resp.cmd("SET", "a", "new"), b"+OK\r\n")
        self.assertEqual(resp.cmd("DEL", "c"), b":1\r\n")
        node.stop()

        node = self.start()
        self.assert_values(node, {b"a": b"new", b"b": b"2", b"c": None})
        self.assertEqual(node.log_text().count("keys from seed file seed.json"), 1)
        node.kill()

        # A changed file is imported again, still below every real write.
        self.write_seed(json.dumps({"a": "seed2", "c": "again", "d": True}))
        node = self.start()
        self.assert_values(node, {b"a": b"new", b"b": b"2", b"c": None, b"d": b"true"})

    def test_malformed_seed_file_refuses_start(self):
        for content in ['{"a": [1]}', '{"a": {"b": "c"}}', '{"a": "1",', '["a", "b"]']:
            with self.subTest(content=content):
                path = self.write_seed(content, name="bad.json")
                self.refused([path])


class OwnershipTest(RecoveryTestCase):
    def test_data_dir_of_another_node(self):
        node = self.start_node("node-x", workdir=self.workdir, no_repl=True)
        self.fill(node, {b"k": b"v"})
        node.stop()
        r = run_node_once(self.workdir, "node-y", no_repl=True)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertIn("'node-x'", r.stderr.decode())
        self.assertIn("'node-y'", r.stderr.decode())
        node = self.start_node("node-x", workdir=self.workdir, no_repl=True)
        self.assert_values(node, {b"k": b"v"})

    def test_data_dir_in_use(self):
        node = self.start()
        self.fill(node, {b"k": b"v"})
        self.refused(["in use", self.data])
        self.assertTrue(node.alive())
        self.assert_values(node, {b"k": b"v"})


class SnapshotTest(RecoveryTestCase):
    def test_snapshot_retires_segments_and_recovers(self):
        node = self.start(snapshot_min_bytes=4096)
        expected = {b"s%05d" % i: b"first-%05d" % i for i in range(20000)}
        self.fill(node, expected)
        changes = [(PUT, b(b"s%05d" % i) + b(b"second-%05d" % i)) for i in range(0, 20000, 7)]
        changes += [(DEL, b(b"s%05d" % i)) for i in range(3, 20000, 11)]
        replies = self.binary(node).pipeline(changes)
        self.assertEqual({r.status for r in replies}, {OK})
        expected.update({b"s%05d" % i: b"second-%05d" % i for i in range(0, 20000, 7)})
        expected.update({b"s%05d" % i: None for i in range(3, 20000, 11)})

        def settled_snapshot():
            """(info, segments, snapshots) once a snapshot is done and none
            started while the dir was listed."""
            before = self.info(node)
            segments, snapshots = numbered(self.data, "wal-*.log"), numbered(self.data,
                                                                             "snapshot-*.dat")
            after = self.info(node)
            done = int(after["snapshots_taken"]) >= 1 and after["snapshot_in_progress"] == "0"
            same = before["snapshots_taken"] == after["snapshots_taken"]
            return done and same and (after, segments, snapshots)

        state = poll(settled_snapshot, timeout=10, interval=0.1)
        self.assertTrue(state, "no snapshot: %r" % self.info(node))
        info, segments, snapshots = state
        seq = int(info["last_snapshot_seq"])
        self.assertGreater(seq, 1)
        self.assertEqual(list(snapshots), [seq], "older snapshots are deleted")
        self.assertEqual([s for s in segments if s < seq], [], "older segments are deleted")
        self.assertEqual(info["last_snapshot_error"], "")

        # More writes after the snapshot, then a crash.
        more = {b"s%05d" % i: b"third-%05d" % i for i in range(1, 20000, 13)}
        more.update({b"late-%d" % i: b"late" for i in range(100)})
        self.fill(node, more)
        expected.update(more)
        node.kill()
        newest = max(numbered(self.data, "snapshot-*.dat"))  # seq, or a later one
        node = self.start(snapshot_min_bytes=4096)
        self.assert_values(node, expected)
        live = sum(v is not None for v in expected.values())
        self.assertEqual(int(self.info(node)["keys"]), live)
        self.assertTrue(node.wait_log("(snapshot %d with " % newest))
        node.kill()

        # A newer snapshot without its trailer (cut at a record boundary,
        # half its entries) is damage: a strict start refuses, naming it;
        # with skip-corrupt the state comes from the complete snapshot and
        # the WAL. A leftover .tmp from a crash is removed.
        snapshots = numbered(self.data, "snapshot-*.dat")
        data = read(snapshots[max(snapshots)])
        recs = records(data)
        self.assertEqual(recs[-1][1], len(data))
        top = max(list(snapshots) + list(numbered(self.data, "wal-*.log")))
        damaged = "snapshot-%020d.dat" % (top + 1)
        leftover = os.path.join(self.data, "snapshot-%020d.dat.tmp" % (top + 2))
        write(os.path.join(self.data, damaged), data[:recs[len(recs) // 2][1]])
        write(leftover, data[:1000])
        self.refused([damaged, "damaged", "skip-corrupt"], snapshot_min_bytes=4096)
        node = self.start(snapshot_min_bytes=4096, wal_recovery="skip-corrupt")
        self.assert_values(node, expected)
        self.assertEqual(int(self.info(node)["keys"]), live)
        self.assertTrue(node.wait_log("ignored 1 incomplete snapshots"))
        self.assertFalse(os.path.exists(leftover))

    def test_bgsave_takes_a_snapshot_that_is_not_due(self):
        """BGSAVE (as in Redis) takes a snapshot now, however little the log
        holds; a second one while it is asked for or running is refused."""
        node = self.start()  # default --snapshot-min-bytes: none would be due
        expected = {b"b%04d" % i: b"v%04d" % i for i in range(3000)}
        self.fill(node, expected)
        c = self.resp(node)
        started = int(c.cmd("LASTSAVE")[1:])  # the node's start, before any snapshot
        self.assertLessEqual(abs(started - time.time()), 30)
        time.sleep(1.1)  # so that a snapshot's LASTSAVE is a later second
        c.send(b"BGSAVE\r\nBGSAVE\r\nBGSAVE now\r\n")
        self.assertEqual(c.replies(3), [b"+Background saving started\r\n",
                                        b"-ERR Background save already in progress\r\n",
                                        b"-ERR wrong number of arguments for 'bgsave' command\r\n"])
        self.assertTrue(poll(lambda: self.info(node)["snapshots_taken"] == "1" and
                             self.info(node)["snapshot_in_progress"] == "0", timeout=10))
        info = self.info(node)
        self.assertEqual(info["last_snapshot_entries"], "3000")
        self.assertGreater(int(c.cmd("LASTSAVE")[1:]), started)
        self.assertEqual(list(numbered(self.data, "snapshot-*.dat")),
                         [int(info["last_snapshot_seq"])])
        self.assertEqual(c.cmd("BGSAVE"), b"+Background saving started\r\n")  # once done, again
        self.assertTrue(poll(lambda: self.info(node)["snapshots_taken"] == "2", timeout=10))
        newest = int(self.info(node)["last_snapshot_seq"])
        node.kill()
        node = self.start()
        self.assertTrue(node.wait_log("(snapshot %d with 3000 entries" % newest))
        self.assert_values(node, expected)

    def test_retired_segments_are_written_over_by_later_ones(self):
        """Full segments stay cached; those a snapshot retires are kept as
        wal-*.reuse, and later segments are written over them from offset 0
        (the same inode, holding the older records past the new ones'
        end). After kill -9, recovery reads each segment's own records and
        no stale one."""
        node = self.start(snapshot_min_bytes=1 << 30)
        if file_system_of(self.data) == "tmpfs":
            self.skipTest("the data dir is on a tmpfs: no page cache")
        big = 1 << 18  # values of 768 KiB

        first = {b"big%03d" % i: (b"%03d" % i) * big for i in range(180)}  # 135 MiB
        self.fill(node, first)
        segments = numbered(self.data, "wal-*.log")
        self.assertEqual(len(segments), 3)
        full = segments[min(segments)]
        self.assertGreater(cached_bytes(full), os.path.getsize(full) - (1 << 20),
                           "a full segment stays cached")
        self.assertEqual(self.resp(node).cmd("BGSAVE"), b"+Background saving started\r\n")
        self.assertTrue(poll(lambda: self.info(node)["snapshots_taken"] == "1" and
                             self.info(node)["snapshot_in_progress"] == "0", timeout=30))
        snapshot = int(self.info(node)["last_snapshot_seq"])
        kept = poll(lambda: (r := numbered(self.data, "wal-*.reuse")) and
                    sorted(r) == sorted(segments) and r, timeout=10)
        self.assertTrue(kept, "retired segments not kept: %r" % os.listdir(self.data))
        inodes = {os.stat(path).st_ino: (seq, os.path.getsize(path))
                  for seq, path in kept.items()}

        # The spare made before the retirement comes first, then the retired
        # segments, the newest first: 210 MiB reach the second of them. The
        # writes go in steps of 22.5 MiB, each once the next spare is ready
        # (else a roll makes a plain new segment).
        second = {b"big%03d" % i: (b"%03d" % (i + 500)) * big for i in range(0, 280)}
        items = list(second.items())
        spare = os.path.join(self.data, "wal.spare")
        for i in range(0, len(items), 30):
            self.assertTrue(poll(lambda: os.path.exists(spare), timeout=10))
            self.fill(node, dict(items[i:i + 30]))
        self.assertEqual(self.info(node)["wal_segments_written_over"], "2")
        node.kill()
        segments = numbered(self.data, "wal-*.log")
        reused = {seq: inodes[os.stat(path).st_ino] for seq, path in segments.items()
                  if os.stat(path).st_ino in inodes}
        self.assertEqual(sorted(old for old, _ in reused.values()), sorted(kept)[-2:],
                         "the two newest retired segments written over: %r" % reused)
        replayed = 0
        for seq, path in segments.items():
            if seq < snapshot:
                continue
            data = read(path)
            recs = records(data)
            replayed += len(recs)
            if seq in reused:
                old_size = reused[seq][1]
                self.assertEqual(len(data), max(old_size, recs[-1][1]))
                self.assertEqual({entry_key(p) for _, _, p in recs} - set(second), set())
        self.assertEqual(replayed, len(second))
        stale = max(reused)  # the last segment, over a full one: mostly older records
        self.assertGreater(os.path.getsize(segments[stale]) - records(read(segments[stale]))[-1][1],
                           32 << 20)

        node = self.start(snapshot_min_bytes=1 << 30)
        self.assertTrue(node.wait_log("(snapshot %d with 180 entries, %d records from"
                                      % (snapshot, replayed)))
        self.assert_values(node, {**first, **second}, batch=10)
        self.assertEqual(self.info(node)["keys"], "280")

    def test_a_new_segment_is_the_spare_with_its_blocks_allocated(self):
        """wal.spare, prepared by the helper (empty, a segment's worth of
        blocks allocated past its end), becomes the next segment, so appends
        allocate nothing; a new spare follows; restarts ignore it."""
        node = self.start(snapshot_min_bytes=1 << 30)
        if not can_preallocate(self.data):
            self.skipTest("the data dir's file system cannot preallocate")
        spare_path = os.path.join(self.data, "wal.spare")

        def spare():
            try:
                st = os.stat(spare_path)
            except FileNotFoundError:
                return None
            return st if st.st_size == 0 and st.st_blocks * 512 >= 64 << 20 else None

        first = poll(spare, timeout=10)
        self.assertTrue(first, "no preallocated wal.spare")
        values = {b"big%03d" % i: (b"%03d" % i) * (1 << 18) for i in range(90)}  # 768 KiB each
        self.fill(node, values)
        segments = numbered(self.data, "wal-*.log")
        self.assertEqual(len(segments), 2, "67.5 MiB of values fill a 64 MiB segment")
        newest = os.stat(segments[max(segments)])
        self.assertEqual(newest.st_ino, first.st_ino, "the spare became the new segment")
        self.assertLess(newest.st_size, 8 << 20)
        self.assertGreaterEqual(newest.st_blocks * 512, 64 << 20, "its blocks came with it")
        second = poll(lambda: (st := spare()) and st.st_ino != first.st_ino and st, timeout=10)
        self.assertTrue(second, "no new wal.spare after the roll")

        node.kill()
        node = self.start(snapshot_min_bytes=1 << 30)
        self.assert_values(node, values, batch=10)
        self.assertEqual(self.info(node)["keys"], "90")

    def test_the_previous_snapshot_file_is_overwritten_by_the_next(self):
        """An older snapshot's file is kept as snapshot.spare and the next
        snapshot is written into it (same inode) and cut to its own size:
        a smaller snapshot in a larger spare still recovers."""
        node = self.start(snapshot_min_bytes=4096)
        spare = os.path.join(self.data, "snapshot.spare")
        expected = {}

        def snapshot_after(round_values, taken):
            """Writes the values, then waits for one more snapshot than
            `taken` and for its older files to be retired."""
            self.fill(node, round_values)
            expected.update(round_values)

            def settled():
                info = self.info(node)
                snapshots = numbered(self.data, "snapshot-*.dat")
                done = (int(info["snapshots_taken"]) > taken and
                        info["snapshot_in_progress"] == "0" and len(snapshots) == 1)
                return done and (int(info["snapshots_taken"]), snapshots)

            state = poll(settled, timeout=15, interval=0.1)
            self.assertTrue(state, "no snapshot: %r" % self.info(node))
            count, snapshots = state
            return count, os.stat(snapshots[max(snapshots)])

        big = {b"p%04d" % i: b"%04d" % i * 250 for i in range(3000)}  # 1000-byte values
        taken, first = snapshot_after(big, 0)
        self.assertFalse(os.path.exists(spare), "no older snapshot yet")
        taken, second = snapshot_after({k: v.replace(b"0", b"x") for k, v in big.items()}, taken)
        self.assertEqual(os.stat(spare).st_ino, first.st_ino, "the first snapshot is the spare")
        # Small values now: the next snapshot is far smaller than the spare.
        small = {b"p%04d" % i: b"small" for i in range(3000)}
        taken, third = snapshot_after(small, taken)
        self.assertEqual(third.st_ino, first.st_ino, "written into the spare")
        self.assertLess(third.st_size, first.st_size // 10, "cut to its own size")
        self.assertEqual(os.stat(spare).st_ino, second.st_ino)

        node.kill()
        node = self.start(snapshot_min_bytes=4096)
        self.assert_values(node, expected)
        self.assertTrue(node.wait_log("(snapshot "))
        self.assertEqual(self.info(node)["keys"], "3000")

if __name__ == "__main__":
    unittest.main()
