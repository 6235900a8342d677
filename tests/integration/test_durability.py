"""Durability of acknowledged writes: kill -9 under pipelined write load
(--fsync=always loses nothing acknowledged; --fsync=everysec may lose only
the tail), and a full disk (writes fail with an error, never OK, and work
again once space is freed). See protocol/WAL.md and DESIGN.md section 8."""

import os
import random
import shutil
import struct
import subprocess
import sys
import time
import unittest

from harness import (IO_ERROR, MGET, OK, PUT, BinaryClient, NodeTestCase, b, frame, mget_body,
                     poll, run)

IN_FLIGHT = 16
SEED = int(os.environ.get("DKV_TEST_SEED") or time.time())


def report(*args):
    print(*args, file=sys.stderr, flush=True)


def load_then_kill(node, round_no, duration, value_size=100):
    """Pipelines PUTs of fresh keys (IN_FLIGHT in flight) on one connection
    for `duration` seconds, then kills the node (kill -9) with requests still
    in flight, and reads the replies that made it out before it died.
    Returns ({key: value} acknowledged OK, {key: time of its ack}, kill time)."""
    conn = BinaryClient(node.port)
    in_flight, acked, ack_time = {}, {}, {}
    sent = 0

    def send_one():
        nonlocal sent
        sent += 1
        key = b"r%02d-%07d" % (round_no, sent)
        value = (b"round%02d-%07d-" % (round_no, sent)).ljust(value_size, b"v")
        in_flight[sent] = (key, value)
        conn.send(frame(PUT, b(key) + b(value), rid=sent))

    def read_one():
        r = conn.read_reply()
        key, value = in_flight.pop(r.rid)
        assert r.status == OK, "PUT %r: %r" % (key, r)
        acked[key] = value
        ack_time[key] = time.monotonic()

    try:
        deadline = time.monotonic() + duration
        while time.monotonic() < deadline:
            while len(in_flight) < IN_FLIGHT:
                send_one()
            read_one()
        killed_at = time.monotonic()
        node.kill()
        try:
            while in_flight:
                read_one()
        except OSError:  # ConnectionError included: the rest died with the node
            pass
    finally:
        conn.close()
    return acked, ack_time, killed_at


class AckedWrites:
    """Every acknowledged write so far, checked with MGETs whose request and
    expected reply are built once (rechecking all rounds after each restart
    would otherwise cost more than the load)."""

    def __init__(self, batch=2000):
        self.batch, self.batches, self.count = batch, [], 0

    def add(self, acked):
        items = list(acked.items())
        for i in range(0, len(items), self.batch):
            part = dict(items[i:i + self.batch])
            expected = bytes([OK]) + struct.pack(">I", len(part)) + b"".join(
                b"\x01" + b(v) for v in part.values())
            self.batches.append((part, mget_body(list(part)), expected))
        self.count += len(items)

    def check(self, test, node):
        conn = test.binary(node)
        for part, body, expected in self.batches:
            if conn.request(MGET, body).body != expected:
                test.assert_values(node, part)  # says which keys
                test.fail("MGET reply differs from the expected bytes")


class KillUnderLoadTest(NodeTestCase):
    def setUp(self):
        self.rng = random.Random(SEED)
        self.workdir = self.tempdir()

    def start(self, **flags):
        return self.start_node(workdir=self.workdir, no_repl=True, **flags)

    def torn_tails_truncated(self, node):
        return node.log_text().count("truncated a torn WAL tail")

    def test_fsync_always_loses_no_acknowledged_write(self):
        expected, counts = AckedWrites(), []
        node = self.start(fsync="always")
        for round_no in range(20):
            acked, _, _ = load_then_kill(node, round_no, self.rng.uniform(0.2, 1.0))
            self.assertTrue(acked, "round %d: no write acknowledged" % round_no)
            counts.append(len(acked))
            expected.add(acked)
            node = self.start(fsync="always")  # must succeed: torn tails are truncated
            expected.check(self, node)
        report("\n  fsync=always, seed %d: acknowledged per round %s, total %d, all present; "
               "torn tails truncated at restart: %d"
               % (SEED, counts, sum(counts), self.torn_tails_truncated(node)))
        self.assertGreaterEqual(int(self.info(node)["keys"]), expected.count)

    def test_fsync_everysec_loses_at_most_the_tail(self):
        expected, lines = {}, []
        node = self.start(fsync="everysec")
        for round_no in range(3):
            acked, ack_time, killed_at = load_then_kill(node, round_no,
                                                        self.rng.uniform(0.5, 1.0))
            node = self.start(fsync="everysec")
            keys = list(acked)
            got = dict(zip(keys, self.binary(node).mget(keys).mget_values()))
            lost = [k for k in keys if got[k] != acked[k]]
            self.assertEqual([k for k in lost if got[k] is not None], [], "wrong values")
            early = [k for k in lost if ack_time[k] < killed_at - 2.0]
            self.assertEqual(early, [], "lost writes acknowledged more than 2 s before the kill")
            last_second = [k for k in keys if ack_time[k] >= killed_at - 1.0]
            lines.append("round %d: %d acknowledged, %d of the %d of the last second lost "
                         "(%d lost in all)" % (round_no, len(keys), len(set(lost) & set(last_second)),
                                               len(last_second), len(lost)))
            expected.update((k, v) for k, v in acked.items() if k not in lost)
            self.assert_values(node, expected)
        report("\n  fsync=everysec, seed %d: %s" % (SEED, "; ".join(lines)))


class DiskFullTest(NodeTestCase):
    """The data dir on a 2 MiB tmpfs, all but 512 KiB taken by a filler file."""

    def setUp(self):
        if os.geteuid() != 0:
            self.skipTest("mounting a file system needs root")
        self.workdir = self.tempdir()
        self.mount = os.path.join(self.workdir, "small")
        os.mkdir(self.mount)
        self.mount_small()
        self.addCleanup(self.unmount)
        st = os.statvfs(self.mount)
        self.filler = os.path.join(self.mount, "filler")
        with open(self.filler, "wb") as f:
            f.write(b"\0" * (st.f_bavail * st.f_frsize - (512 << 10)))

    direct_io = "0"  # what INFO says of the snapshot: tmpfs has no direct I/O

    def mount_small(self):
        r = run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", self.mount])
        if r.returncode != 0:
            self.skipTest("cannot mount a tmpfs: %s" % r.stderr.decode().strip())

    def unmount(self):
        if run(["umount", self.mount]).returncode != 0:
            subprocess.run(["umount", "-l", self.mount], capture_output=True)

    def start(self):
        return self.start_node(workdir=self.workdir, no_repl=True,
                               data_dir=os.path.join(self.mount, "data"))

    def put(self, conn, key, value):
        """One PUT and its reply (request id 0 for a batch error)."""
        conn.rid = getattr(conn, "rid", 0) + 1
        conn.send(frame(PUT, b(key) + b(value), rid=conn.rid))
        r = conn.read_reply()
        self.assertIn(r.rid, (conn.rid, 0), r)
        return r

    def test_writes_fail_cleanly_and_resume_when_space_is_freed(self):
        node = self.start()
        conn = self.binary(node)
        acked, value = {}, b"x" * 1024
        for i in range(4000):
            key = b"full-%05d" % i
            r = self.put(conn, key, value)
            if r.status != OK:
                break
            acked[key] = value
        else:
            self.fail("4000 writes of 1 KiB fit on a 2 MiB tmpfs")
        report("\n  disk full after %d acknowledged 1 KiB writes: %r" % (len(acked), r.message))
        # The write whose flush failed: its fate is unknown, so its batch
        # gets one error (request id 0) and the connection closes.
        self.assertEqual((r.status, r.rid), (IO_ERROR, 0), r)
        self.assertIn("disk", r.message)
        self.assertTrue(conn.is_closed())
        conn = self.binary(node)

        # Refused while the disk is full: an error, never OK; reads go on.
        for i in range(20):
            r = self.put(conn, b"refused-%d" % i, value)
            self.assertEqual((r.status, r.rid), (IO_ERROR, conn.rid), r)
            self.assertIn("No space left on device", r.message)
        resp = self.resp(node)
        self.assertRegex(resp.cmd("SET", "k", "v"), rb"^-ERR .*disk.*\r\n$")
        self.assertRegex(resp.cmd("DEL", "full-00000"), rb"^-ERR .*disk.*\r\n$")
        self.assert_values(node, acked)
        self.assertTrue(node.alive())
        self.assertIn("No space left on device", resp.info()["wal_status"])

        # Space comes back: within a few seconds (the log retries every
        # second), writes work again.
        os.remove(self.filler)
        n = 0

        def put_works():
            nonlocal n
            n += 1
            key = b"after-%d" % n
            if self.put(conn, key, value).status != OK:
                return False
            acked[key] = value
            return True

        self.assertTrue(poll(put_works, timeout=5, interval=0.05), "writes still failing")
        self.assertEqual(resp.info()["wal_status"], "ok")
        self.assertEqual(resp.cmd("SET", "k", "v"), b"+OK\r\n")
        acked[b"k"] = b"v"

        node.kill()
        node = self.start()
        self.assert_values(node, acked)

    def test_snapshot_on_a_full_disk_fails_cleanly_and_is_taken_once_space_is_back(self):
        # About 512 KiB free; 300 KiB of values (and as much WAL) leave too
        # little room for a snapshot, which is due at once (--snapshot-min-bytes).
        node = self.start_node(workdir=self.workdir, no_repl=True, snapshot_min_bytes=4096,
                               data_dir=os.path.join(self.mount, "data"))
        conn = self.binary(node)
        acked, value = {}, b"s" * 1024
        for i in range(300):
            key = b"snap-%03d" % i
            self.assertEqual(self.put(conn, key, value).status, OK)
            acked[key] = value
        resp = self.resp(node)
        self.assertTrue(poll(lambda: "No space left on device" in
                             resp.info()["last_snapshot_error"], timeout=10),
                        resp.info())
        info = resp.info()
        self.assertEqual(info["snapshots_taken"], "0")
        self.assertIn("cannot write snapshot", info["last_snapshot_error"])
        self.assertIn("cannot write snapshot", node.log_text())
        # The node serves on: reads, and writes that fit (the half-written
        # snapshot was deleted, or the disk would be full).
        self.assertTrue(node.alive())
        self.assert_values(node, acked)
        self.assertEqual(self.put(conn, b"during", b"d").status, OK)
        acked[b"during"] = b"d"

        os.remove(self.filler)
        self.assertTrue(poll(lambda: resp.info()["snapshots_taken"] != "0", timeout=10))
        self.assertEqual(resp.info()["last_snapshot_error"], "")
        self.assertEqual(resp.info()["last_snapshot_direct_io"], self.direct_io)
        node.kill()
        node = self.start()
        self.assert_values(node, acked)


class DiskFullExt4Test(DiskFullTest):
    """The same on an 8 MiB ext4 (a loop device), where snapshots are
    written with direct I/O: a write the disk cannot take fails the same
    way."""

    direct_io = "1"

    def mount_small(self):
        mkfs = shutil.which("mkfs.ext4")
        if mkfs is None:
            self.skipTest("no mkfs.ext4")
        image = os.path.join(self.workdir, "small.img")
        with open(image, "wb") as f:
            f.truncate(8 << 20)
        r = run([mkfs, "-q", "-F", "-m", "0", "-O", "^has_journal", image])
        if r.returncode != 0:
            self.skipTest("cannot make an ext4: %s" % r.stderr.decode().strip())
        r = run(["mount", "-o", "loop", image, self.mount])
        if r.returncode != 0:
            self.skipTest("cannot mount a loop device: %s" % r.stderr.decode().strip())


if __name__ == "__main__":
    unittest.main()
