"""Clusters of real kv-node processes on 127.0.0.1 (DESIGN.md sections 5-7,
protocol/PROTOCOL.md section 10): formation and routing, a node killed and
restarted, the REPL's cluster commands, and a node of another cluster.
Migration under load is in test_cluster_migration.py."""

import os
import random
import re
import signal
import subprocess
import time
import unittest

from harness import (DEL, GET, KVCTL, MALFORMED, MGET, NOT_FOUND, OK, PARTITIONS, PUT,
                     RSS_SLACK_MIB, TOO_LARGE, UNAVAILABLE, NodeTestCase, RespClient, b,
                     cluster_state, frame, free_port, mget_body, multibulk, poll, run)

SEED = int(os.environ.get("DKV_TEST_SEED") or time.time())


class FormationTest(NodeTestCase):
    def keys_by_owner(self, nodes, prefix, count):
        """PUTs keys prefix0.. (value = key) through nodes[0], one at a time,
        and tells each key's owner by the key counts: {node id: [keys]}."""
        c = self.binary(nodes[0])
        owned = {n.id: [] for n in nodes}
        for i in range(count):
            before = [cluster_state(n)["keys"] for n in nodes]
            key = prefix + b"%d" % i
            self.assertEqual(c.put(key, key).status, OK)
            after = [cluster_state(n)["keys"] for n in nodes]
            owned[nodes[[a - x for a, x in zip(after, before)].index(1)].id].append(key)
        return owned

    def test_three_nodes_serve_every_key_through_every_node(self):
        nodes = self.start_cluster(3)
        states = [cluster_state(n) for n in nodes]
        self.assertEqual(sum(s["owned"] for s in states), PARTITIONS)
        for s in states:  # rendezvous placement: about a third each
            self.assertGreater(s["owned"], PARTITIONS // 3 * 0.85, states)

        rng = random.Random(SEED)
        items = {b"key-%05d" % i: b"value-%05d-" % i + os.urandom(8).hex().encode()
                 for i in range(10000)}
        self.put_all(nodes, items, rng)
        for node in nodes:
            self.assert_values(node, items)
        # Each key is stored once, on its owner.
        keys = [cluster_state(n)["keys"] for n in nodes]
        self.assertEqual(sum(keys), len(items), keys)
        for k in keys:
            self.assertGreater(k, len(items) // 3 * 0.8, keys)


    def test_pipelined_requests_through_one_member_keep_their_order(self):
        """One connection to one member pipelines GET/PUT/DEL (some IF_ABSENT),
        MGETs and malformed bodies on a few keys, so most requests go to other
        nodes and the same key comes back within a window: every reply must
        arrive in request order with what a sequential store would answer."""
        nodes = self.start_cluster(3)
        rng = random.Random(SEED)
        keys = [b"pk-%d" % i for i in range(12)]
        model, requests, expected = {}, [], []
        for i in range(3000):
            key, roll = rng.choice(keys), rng.random()
            if roll < 0.35:
                value = b"v-%d" % i
                absent = rng.random() < 0.2
                requests.append((PUT, b(key) + b(value), 0x08 if absent else 0))
                if absent and key in model:
                    expected.append((NOT_FOUND, None))
                else:
                    model[key] = value
                    expected.append((OK, None))
            elif roll < 0.75:
                requests.append((GET, b(key), 0))
                expected.append((OK, model[key]) if key in model else (NOT_FOUND, None))
            elif roll < 0.9:
                requests.append((DEL, b(key), 0))
                expected.append((OK, None) if model.pop(key, None) is not None
                                else (NOT_FOUND, None))
            elif roll < 0.97:
                some = rng.sample(keys, 3)
                requests.append((MGET, mget_body(some), 0))
                expected.append((OK, [model.get(k) for k in some]))
            else:
                requests.append((GET, b"\x00\x00", 0))  # truncated key length
                expected.append((MALFORMED, None))
        conn = self.binary(nodes[0])
        window, sent, got = 64, 0, []
        while len(got) < len(requests):
            n = min(len(requests) - sent, window - (sent - len(got)))
            conn.send(b"".join(frame(op, body, rid=sent + i + 1, flags=flags)
                               for i, (op, body, flags) in enumerate(requests[sent:sent + n])))
            sent += n
            got.append(conn.read_reply())
        for i, (r, (status, value)) in enumerate(zip(got, expected)):
            what = "request %d %r" % (i, requests[i])
            self.assertEqual((r.rid, r.status), (i + 1, status), what)
            if requests[i][0] == MGET:
                self.assertEqual(r.mget_values(), value, what)
            elif value is not None:
                self.assertEqual(r.value, value, what)
        for key in keys:  # and the cluster holds the model's last word
            r = self.binary(nodes[1]).get(key)
            self.assertEqual((r.status, r.value if r.status == OK else None),
                             (OK, model[key]) if key in model else (NOT_FOUND, None))


    def test_pipelined_resp_commands_through_one_member_keep_their_order(self):
        """The same over RESP: SET (some NX), GET, DEL, EXISTS, MGET and an
        unknown command on a few keys, pipelined through one member."""
        nodes = self.start_cluster(3)
        rng = random.Random(SEED)
        keys = [b"rk-%d" % i for i in range(12)]
        model, commands, expected = {}, [], []
        nil = b"$-1\r\n"

        def bulk(v):
            return nil if v is None else b"$%d\r\n%s\r\n" % (len(v), v)

        for i in range(3000):
            key, roll = rng.choice(keys), rng.random()
            if roll < 0.35:
                value = b"v-%d" % i
                if rng.random() < 0.2:
                    commands.append((b"SET", key, value, b"NX"))
                    expected.append(nil if key in model else b"+OK\r\n")
                    model.setdefault(key, value)
                else:
                    commands.append((b"SET", key, value))
                    expected.append(b"+OK\r\n")
                    model[key] = value
            elif roll < 0.75:
                commands.append((b"GET", key))
                expected.append(bulk(model.get(key)))
            elif roll < 0.85:
                commands.append((b"DEL", key))
                expected.append(b":%d\r\n" % (model.pop(key, None) is not None))
            elif roll < 0.9:
                commands.append((b"EXISTS", key))
                expected.append(b":%d\r\n" % (key in model))
            elif roll < 0.97:
                some = rng.sample(keys, 3)
                commands.append((b"MGET", *some))
                expected.append(b"*3\r\n" + b"".join(bulk(model.get(k)) for k in some))
            else:
                commands.append((b"NOSUCHCMD", key))
                expected.append(b"-ERR unknown command 'NOSUCHCMD', with args beginning "
                                b"with: '%s' \r\n" % key)
        conn = self.resp(nodes[0])
        window, sent, got = 64, 0, []
        while len(got) < len(commands):
            n = min(len(commands) - sent, window - (sent - len(got)))
            conn.send(b"".join(multibulk(*c) for c in commands[sent:sent + n]))
            sent += n
            got.append(conn.read_reply())
        for i, (reply, want) in enumerate(zip(got, expected)):
            self.assertEqual(reply, want, "command %d %r" % (i, commands[i]))


    def test_mget_and_exists_through_a_member_are_bounded(self):
        """An MGET's keys owned elsewhere go to each owner as one forwarded
        MGET; the owner bounds its part by --max-frame, the member the whole
        reply: a reply over it is TOO_LARGE (RESP: an error), whether one
        owner's part or only their sum is too big. EXISTS and DEL ask for
        each distinct key once, however often it is listed."""
        n1, n2, n3 = nodes = self.start_cluster(3, max_frame=1 << 20)
        c = self.binary(n1)
        owned = self.keys_by_owner(nodes, b"k", 60)
        self.assertTrue(all(len(keys) >= 2 for keys in owned.values()), owned)
        k1, k2, k3 = owned["n1"][0], owned["n2"][0], owned["n3"][0]
        asked = [k2, owned["n3"][1], k1, b"none", k3, owned["n2"][1], k2]
        self.assertEqual(c.mget(asked).mget_values(), [None if k == b"none" else k for k in asked])

        big = b"v" * 600000  # one fits in a reply, two do not
        for key in (k2, k3):
            self.assertEqual(c.put(key, big).status, OK)
        self.assertEqual(c.mget([k2, k1]).mget_values(), [big, k1])
        message = "MGET reply exceeds max-frame (1048576 bytes)"
        for keys in ([k2, k3], [k2, k2], [k3] * 20000):  # the sum; one owner's part
            r = c.mget(keys)
            self.assertEqual((r.status, r.message), (TOO_LARGE, message), len(keys))
        resp = RespClient(n1.port)
        self.assertEqual(resp.cmd("MGET", k3, k1, k2), b"-ERR " + message.encode() + b"\r\n")
        self.assertEqual(resp.cmd("MGET", k1, "none"),
                         b"*2\r\n$%d\r\n%s\r\n$-1\r\n" % (len(k1), k1))
        self.assertEqual(c.get(k3).value, big)
        rss = n1.rss_kib()
        self.assertEqual(resp.cmd("EXISTS", *[k3] * 20000, "none", k1), b":20001\r\n")
        self.assertLess(n1.rss_kib() - rss, 64 * 1024)
        self.assertEqual(resp.cmd("DEL", k3, k3, k2, "none", k3), b":2\r\n")
        self.assertEqual(resp.cmd("EXISTS", k3, k2, k1, k1), b":2\r\n")
        resp.close()

    def test_pipelined_gets_of_big_remote_values_are_answered_within_bounds(self):
        """A member reads a group's GETs for other nodes' keys with one MGET
        per owner, bounded by --max-frame together; when their values pass
        it, each of those GETs runs alone and its reply goes out before the
        next is fetched: 40 pipelined GETs of 700 KB remote values (28 MB)
        are all answered, in order, on both doors, and an EXISTS of them all
        counts them, while the member's peak memory grows by far less than
        their sum."""
        n1, n2, n3 = nodes = self.start_cluster(3, max_frame=1 << 20)
        by_id = {n.id: n for n in nodes}
        c = self.binary(n1)
        owned = self.keys_by_owner(nodes, b"g", 200)
        remote = [(k, by_id[o]) for o in ("n2", "n3") for k in owned[o][:20]]
        self.assertEqual(len(remote), 40, owned)
        values = {}
        for i, (key, owner) in enumerate(remote):  # put at the owners: n1 sees none of it
            values[key] = bytes([65 + i % 26]) * 700000
            self.assertEqual(self.binary(owner).put(key, values[key]).status, OK)
        local = owned["n1"][0]
        keys = [k for k, _ in remote[:20]] + [local, b"none"] + [k for k, _ in remote[20:]]
        want = [values.get(k, k if k == local else None) for k in keys]

        def peak_kib():
            with open("/proc/%d/status" % n1.pid) as f:
                status = f.read()
            return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1))

        peak = peak_kib()
        replies = c.batch([(GET, b(k)) for k in keys], window=len(keys))
        self.assertEqual([r.value if r.status == OK else None for r in replies], want)
        resp = RespClient(n1.port)
        resp.send(b"".join(multibulk("GET", k) for k in keys))
        for k, v in zip(keys, want):
            reply = resp.read_reply()
            self.assertEqual(reply, b"$-1\r\n" if v is None else b"$%d\r\n%s\r\n" % (len(v), v), k)
        # EXISTS keeps none of the values it looks at (and reads them the same way).
        self.assertEqual(resp.cmd("EXISTS", *keys, keys[0]), b":42\r\n")
        resp.close()
        # 28 MB of values went through (a sanitizer's allocator holds freed memory back)
        self.assertLess(peak_kib() - peak, (16 + RSS_SLACK_MIB) * 1024)

    def test_values_past_16_mib_cross_peer_links_under_a_larger_max_frame(self):
        """With --max-frame 32 MiB on every node, a 20 MiB value written and
        read through a member that does not own it crosses the peer link
        both ways (a link took no reply over 16 MiB, whatever the flag)."""
        nodes = self.start_cluster(3, max_frame=32 << 20)
        owned = self.keys_by_owner(nodes, b"h", 12)
        key = (owned["n2"] + owned["n3"])[0]
        value = bytes(range(256)) * (20 << 12)  # 20 MiB
        c = self.binary(nodes[0])
        self.assertEqual(c.put(key, value).status, OK)
        r = c.get(key)
        self.assertEqual((r.status, len(r.value or b""), r.value == value), (OK, len(value), True))
        resp = RespClient(nodes[0].port)
        self.assertEqual(resp.cmd("GET", key), b"$%d\r\n%s\r\n" % (len(value), value))
        resp.close()


class JoinTest(NodeTestCase):
    def test_concurrent_joins_through_different_members_converge(self):
        nodes = self.start_cluster(3)
        items = {b"c-%04d" % i: b"v-%04d" % i for i in range(2000)}
        self.put_all(nodes, items, random.Random(SEED))
        # n4 and n5 join at the same moment, each through another member.
        nodes.append(self.start_node("n4", join_addr=nodes[0].addr, no_repl=True))
        nodes.append(self.start_node("n5", join_addr=nodes[1].addr, no_repl=True))
        states = self.wait_settled(nodes)
        self.assertEqual({s["members"] for s in states}, {5}, states)
        self.assertEqual(len({s["epoch"] for s in states}), 1, states)
        for node in nodes:
            self.assert_values(node, items)


    def test_node_waits_for_its_seed_and_serves_no_key_before_joining(self):
        port = free_port()
        seed_addr = "127.0.0.1:%d" % port
        joiner = self.start_node("n2", join_addr=seed_addr, no_repl=True)
        # Not a member yet: its empty store must not answer for the
        # cluster's keys, reads and writes are refused.
        conn = self.binary(joiner)
        for r in (conn.get("k"), conn.put("k", "v")):
            self.assertEqual((r.status, r.message),
                             (UNAVAILABLE, "this node has not joined its cluster yet"))
        self.assertEqual(self.resp(joiner).cmd("GET", "k"),
                         b"-UNAVAILABLE this node has not joined its cluster yet\r\n")
        self.assertEqual(cluster_state(joiner)["joining"], 1)
        self.assertEqual(run([KVCTL, "-a", joiner.addr, "health"]).returncode, 1)

        # The seed comes up: the joiner's retries (every second) get in.
        seed = self.start_node("n1", port=port, peer_addr=seed_addr, no_repl=True)
        self.assertEqual(self.binary(seed).put("k", "v").status, OK)
        self.wait_settled([seed, joiner])
        self.assertEqual(cluster_state(joiner)["joining"], 0)
        self.assertEqual(self.binary(joiner).get("k").value, b"v")
        self.assertEqual(run([KVCTL, "-a", joiner.addr, "health"]).returncode, 0)


class NodeFailureTest(NodeTestCase):
    def test_whole_cluster_stopped_at_once_exits_cleanly_and_comes_back(self):
        """SIGTERM to every member at the same moment (a whole deployment
        deleted): each leaves while the others do, its ring empties under its
        hand-offs, and it exits 0; started again, they hold every key."""
        ports = [free_port() for _ in range(3)]
        dirs = [self.tempdir() for _ in range(3)]

        def start_all():
            nodes = []
            for i, port in enumerate(ports):
                flags = dict(workdir=dirs[i], port=port, peer_addr="127.0.0.1:%d" % port,
                             no_repl=True)
                if i:
                    flags["join_addr"] = nodes[0].addr
                nodes.append(self.start_node("n%d" % (i + 1), **flags))
            self.wait_settled(nodes)
            return nodes

        nodes = start_all()
        items = {b"w-%04d" % i: b"v-%04d" % i for i in range(3000)}
        self.put_all(nodes, items, random.Random(SEED))
        for node in nodes:
            node.send_signal(signal.SIGTERM)
        self.assertEqual([node.wait() for node in nodes], [0, 0, 0],
                         [node.stderr_text()[-2000:] for node in nodes])
        nodes = start_all()
        for node in nodes:
            self.assert_values(node, items)

    def test_killed_node_is_unavailable_then_rejoins_with_its_data(self):
        n1, n2 = self.start_cluster(2)
        workdir = self.tempdir()
        n3 = self.start_node("n3", workdir=workdir, no_repl=True, join_addr=n1.addr)
        self.wait_settled([n1, n2, n3])
        items = {b"k-%04d" % i: b"v-%04d" % i for i in range(3000)}
        self.put_all([n1, n2, n3], items, random.Random(SEED))
        on_n3 = cluster_state(n3)["keys"]
        self.assertGreater(on_n3, 500)

        n3.kill()
        killed_at = time.monotonic()

        def check_reads(node):
            """Every key through `node`: n3's answer UNAVAILABLE naming
            n3, the others their value. Returns (n3's keys, messages)."""
            replies = self.get_all(node, list(items))
            failed = {k: r for k, r in replies.items() if r.status != OK}
            for k, r in replies.items():
                if r.status == OK:
                    self.assertEqual(r.value, items[k])
                else:
                    self.assertEqual(r.status, UNAVAILABLE, r)
                    self.assertIn("n3", r.message)
            return failed, {r.message for r in failed.values()}

        for node in (n1, n2):
            failed, messages = check_reads(node)
            self.assertEqual(len(failed), on_n3, messages)
        # Once the heartbeats time out (3 s), n3 is reported down.
        self.assertTrue(poll(lambda: all("down" in m for m in check_reads(n1)[1]), timeout=6,
                             interval=0.2), "n3 not reported down")
        down_after = time.monotonic() - killed_at
        # n2 last heard from n3 at about the same time, not at the same
        # instant: it may say so a moment later.
        messages = set()

        def n2_says_down():
            messages.clear()
            messages.update(check_reads(n2)[1])
            return messages == {"owner node n3 is down"}

        self.assertTrue(poll(n2_says_down, timeout=2, interval=0.1), messages)
        self.assertLess(down_after, 6)
        # Writes: the keys of the survivors work, n3's fail the same way.
        replies = self.binary(n1).batch([(PUT, b(k) + b(v + b"!")) for k, v in items.items()])
        self.assertEqual(sum(r.status == UNAVAILABLE for r in replies), on_n3)
        self.assertEqual(sum(r.status == OK for r in replies), len(items) - on_n3)
        for (k, v), r in zip(items.items(), replies):
            if r.status == OK:
                items[k] = v + b"!"

        # Back with its data dir and no --join-addr: it rejoins as itself
        # (at a new port) and every key is readable again.
        n3 = self.start_node("n3", workdir=workdir, no_repl=True)
        self.assertTrue(n3.wait_log("rejoining the cluster as n3"))

        def all_readable():
            return all(r.status == OK and r.value == items[k]
                       for node in (n1, n2, n3)
                       for k, r in self.get_all(node, list(items)).items())

        self.assertTrue(poll(all_readable, timeout=15, interval=0.3), "keys still missing")
        self.wait_settled([n1, n2, n3])
        self.assertEqual(cluster_state(n3)["keys"], on_n3)


class ReplTest(NodeTestCase):
    def test_ring_peers_join_leave_and_forget(self):
        n1 = self.start_node("n1", stdin=subprocess.PIPE)
        self.assertEqual(n1.repl("ring"), ["epoch 1, 4096 partitions", "n1 4096 partitions"])
        self.assertEqual(n1.repl("peers"), ["n1 %s up self" % n1.addr])
        self.assertEqual(n1.repl("leave"), ["error: not in a cluster"])
        self.assertEqual(n1.repl("forget n2"), ["error: unknown node 'n2'"])
        self.assertTrue(n1.alive())

        n2 = self.start_node("n2", stdin=subprocess.PIPE)
        out = n2.repl("join " + n1.addr)
        self.assertEqual(len(out), 1)
        self.assertRegex(out[0], r"^joined at epoch \d+$")
        self.assertEqual(n2.repl("join " + n1.addr), ["error: already in a cluster (leave first)"])
        n3 = self.start_node("n3", join_addr=n1.addr, no_repl=True)
        self.wait_settled([n1, n2, n3])
        ring = n2.repl("ring")
        self.assertRegex(ring[0], r"^epoch \d+, 4096 partitions$")
        counts = dict(line.split(" ")[:2] for line in ring[1:])
        self.assertEqual(sorted(counts), ["n1", "n2", "n3"])
        self.assertEqual(sum(int(c) for c in counts.values()), PARTITIONS)
        peers = {line.split()[0]: line.split()[1:] for line in n1.repl("peers")}
        self.assertEqual(peers["n1"], [n1.addr, "up", "self"])
        self.assertEqual(peers["n3"][:2], [n3.addr, "up"])
        self.assertRegex(peers["n3"][2], r"^\d+\.\ds$")

        items = {b"r-%04d" % i: b"v%d" % i for i in range(2000)}
        self.put_all([n1, n2], items, random.Random(SEED))
        self.assertEqual(n1.repl("forget n3"),
                         ["error: node 'n3' is not down; only a down node can be forgotten"])
        n3.kill()
        self.assertTrue(poll(lambda: any(line.startswith("n3 ") and " down " in line
                                         for line in n1.repl("peers")), timeout=6, interval=0.2),
                        "n3 never reported down")
        self.assertEqual(n1.repl("forget n3"), ["forgot n3"])
        # The survivors own everything; n3's keys are lost, the others stay.
        states = self.wait_settled([n1, n2])
        self.assertEqual(sum(s["owned"] for s in states), PARTITIONS)
        self.assertEqual([line.split()[:2] for line in n2.repl("ring")[1:]],
                         [["n1", str(states[0]["owned"])], ["n2", str(states[1]["owned"])]])
        self.assertIn("n3 %s removed -" % n3.addr, n2.repl("peers"))
        replies = self.get_all(n2, list(items))
        self.assertFalse([r for r in replies.values() if r.status not in (OK, NOT_FOUND)])
        present = {k for k, r in replies.items() if r.status == OK}
        self.assertEqual(len(present), sum(s["keys"] for s in states))

        # leave in a cluster: n2 hands its keys to n1, prints progress, exits 0.
        n2.send("leave\n")
        lines = []
        while (line := n2.read_line()) is not None:
            lines.append(line)
        self.assertEqual(n2.wait(), 0)
        self.assertRegex(lines[-1], r"^left the cluster: \d+ partitions handed off \(\d+ keys")
        for line in lines[:-1]:
            self.assertRegex(line, r"^leaving: \d+ partitions to hand off")
        self.wait_settled([n1])
        self.assert_values(n1, {k: items[k] for k in present})


    def test_get_put_del_go_to_the_owner(self):
        n1 = self.start_node("n1", stdin=subprocess.PIPE)
        n2 = self.start_node("n2", join_addr=n1.addr, no_repl=True)
        self.wait_settled([n1, n2])
        keys = ["repl-%d" % i for i in range(20)]
        for k in keys:
            self.assertEqual(n1.repl("put %s value of %s" % (k, k)), ["OK"])
        # Stored on their owners: readable through n2, about half on each.
        conn = self.binary(n2)
        self.assertEqual([conn.get(k).value.decode() for k in keys],
                         ["value of " + k for k in keys])
        self.assertEqual(sum(cluster_state(n)["keys"] for n in (n1, n2)), len(keys))
        self.assertGreater(cluster_state(n2)["keys"], 0)
        self.assertGreater(cluster_state(n1)["keys"], 0)
        for k in keys:
            self.assertEqual(conn.put(k, "new " + k).status, OK)
            self.assertEqual(n1.repl("get " + k), ["new " + k])
            self.assertEqual(n1.repl("del " + k), ["(integer) 1"])
            self.assertEqual(n1.repl("del " + k), ["(integer) 0"])
            self.assertEqual(n1.repl("get " + k), ["(nil)"])
            self.assertEqual(conn.get(k).status, NOT_FOUND)


class ClusterNameTest(NodeTestCase):
    def test_node_of_another_cluster_cannot_join(self):
        n1, n2 = self.start_cluster(2)
        before = [cluster_state(n) for n in (n1, n2)]
        other = self.start_node("x1", cluster="other", join_addr=n1.addr, no_repl=True)
        self.assertTrue(other.wait_log("refused"), other.log_text())
        self.assertTrue(n1.wait_log(
            "refused a peer handshake from node x1: node belongs to another cluster"))
        time.sleep(1.5)  # a gossip round or two
        self.assertEqual([cluster_state(n) for n in (n1, n2)], before)
        # It stays alone, not joined: it answers no key (and keeps trying).
        state = cluster_state(other)
        self.assertEqual((state["members"], state["epoch"], state["joining"]), (1, 1, 1))
        self.assertEqual(self.binary(other).get("k").status, UNAVAILABLE)


if __name__ == "__main__":
    unittest.main()
