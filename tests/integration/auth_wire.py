"""The authentication messages of protocol/PROTOCOL.md (AUTH, PEER_HELLO,
PEER_PROOF) and the peer handshake, written independently of the C++ code
with Python's hmac, so tests can act as an honest peer, a peer with the
wrong secret, or a replaying attacker."""

import hashlib
import hmac
import os

from harness import b, take_bytes

AUTH, PEER_HELLO, PEER_PROOF = 0x08, 0x44, 0x45
GOSSIP, JOIN, MIGRATE, MIGRATE_DONE = range(0x40, 0x44)
AUTH_REQUIRED, AUTH_FAILED = 0x16, 0x17
FLAG_FORWARDED, FLAG_LOCAL_ONLY = 0x02, 0x04


def peer_hello_body(node_id, cluster="dkv", has_secret=True, nonce=None):
    nonce = os.urandom(32) if nonce is None else nonce
    return b(node_id) + b(cluster) + bytes([1 if has_secret else 0]) + nonce


def parse_peer_hello_reply(rest):
    """(node_id, cluster, nonce, mac) from an OK reply's fields."""
    node_id, rest = take_bytes(rest)
    cluster, rest = take_bytes(rest)
    assert len(rest) == 64, "PEER_HELLO reply: %d bytes after the names" % len(rest)
    return node_id, cluster, rest[:32], rest[32:]


def proof(secret, role, nonce_i, nonce_r, initiator, responder, cluster="dkv"):
    """role: "initiator" or "responder" (protocol/PROTOCOL.md §10.7)."""
    if isinstance(secret, str):
        secret = secret.encode()
    msg = (b"dkv-peer-v1 " + role.encode() + nonce_i + nonce_r + b(initiator) + b(responder)
           + b(cluster))
    return hmac.new(secret, msg, hashlib.sha256).digest()


def handshake(client, node_id, secret, cluster="dkv"):
    """Runs the initiator's side on a BinaryClient. Returns (hello_reply,
    proof_reply or None when the responder's own proof did not check out,
    transcript dict)."""
    nonce_i = os.urandom(32)
    r = client.request(PEER_HELLO, peer_hello_body(node_id, cluster, bool(secret), nonce_i),
                       rid=0)
    if r.status != 0:
        return r, None, None
    responder, _, nonce_r, mac_r = parse_peer_hello_reply(r.rest)
    t = dict(nonce_i=nonce_i, nonce_r=nonce_r, responder=responder, mac_r=mac_r)
    expected = proof(secret, "responder", nonce_i, nonce_r, node_id, responder, cluster)
    if not hmac.compare_digest(expected, mac_r):
        return r, None, t
    mac_i = proof(secret, "initiator", nonce_i, nonce_r, node_id, responder, cluster)
    t["mac_i"] = mac_i
    return r, client.request(PEER_PROOF, mac_i, rid=0), t
