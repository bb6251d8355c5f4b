#!/usr/bin/env python3
"""A product's license client, written from docs/protocol.md alone.

Usage: product.py HOST PORT

Talks to lmgrd's vendor daemon port as a product server would: hello,
start_session, checkouts (one shared from the same device), refusals it
expects, heartbeat, status (checking its counts), a dropped connection
and a reconnect with the session's secret, checkin and end_session; then a
reconnect while the old connection is still open.

The server must serve XDT_PLT_CCU (2 concurrent licenses, DUP_GROUP=V, not
retail, so that burst mode does not apply) and nothing else.
Exits 0 when the server did everything the document says, else 1 with
what differed.
"""

import json
import re
import socket
import struct
import sys

FEATURE = "XDT_PLT_CCU"
VERSION = "2026.0101"
HOST = "ddc1.example.com"
MAX_ANSWER = 1 << 30  # answers may exceed 1 MiB; requests may not


class Mismatch(Exception):
    """The server answered otherwise than the document says."""


class Connection:
    """One TCP connection: framed JSON requests, answered in order."""

    def __init__(self, host, port):
        self.sock = socket.create_connection((host, port), timeout=30)
        self.next_id = 1

    def close(self):
        self.sock.close()

    def _read_exactly(self, n):
        data = bytearray()
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise Mismatch("the server closed the connection mid-answer")
            data.extend(chunk)
        return bytes(data)

    def ask(self, body):
        """Sends one request; returns the answer's body."""
        rid = self.next_id
        self.next_id += 1
        payload = json.dumps({"v": 1, "id": rid, "body": body}).encode("utf-8")
        if len(payload) > 1024 * 1024:
            raise Mismatch("request too large for the server's 1 MiB limit")
        self.sock.sendall(struct.pack(">I", len(payload)) + payload)
        (length,) = struct.unpack(">I", self._read_exactly(4))
        if length == 0 or length > MAX_ANSWER:
            raise Mismatch(f"answer frame of {length} bytes")
        answer = json.loads(self._read_exactly(length).decode("utf-8"))
        if answer.get("v") != 1 or answer.get("id") != rid:
            raise Mismatch(f"envelope {answer!r} does not repeat v 1, id {rid}")
        return answer["body"]

    def expect(self, body, kind):
        """Sends a request whose answer must be of type `kind`."""
        answer = self.ask(body)
        if answer.get("type") != kind:
            raise Mismatch(f"{body['type']}: expected {kind}, got {answer!r}")
        return answer

    def refused(self, body, code):
        """Sends a request the server must refuse with `code`."""
        answer = self.ask(body)
        if answer.get("type") != "error" or answer.get("code") != code:
            raise Mismatch(f"{body['type']}: expected error {code}, got {answer!r}")
        for field in ("text", "reason"):
            if not isinstance(answer.get(field), str) or not answer[field]:
                raise Mismatch(f"error without its {field}: {answer!r}")
        return answer


def check(condition, what):
    if not condition:
        raise Mismatch(what)


def checkout(session, user, device, feature=FEATURE, version=VERSION):
    return {
        "type": "checkout",
        "session": session,
        "feature": feature,
        "version": version,
        "user": user,
        "device": device,
        "host": HOST,
    }


POOL_FIELDS = ("feature", "version", "expiry", "license_type", "vendor_string")


def pool_of(pool):
    """The five fields that name a pool."""
    check(all(f in pool for f in POOL_FIELDS), f"pool without its names: {pool!r}")
    return tuple(pool[f] for f in POOL_FIELDS)


def feature_pool(status):
    pools = [p for p in status["pools"] if p["feature"] == FEATURE]
    check(len(pools) == 1, f"expected one {FEATURE} pool, got {pools!r}")
    return pools[0]


def hello_and_session(conn):
    hello = conn.expect({"type": "hello", "client": "doc-client"}, "hello")
    check(hello["server"] == "lmgrd", f"hello names {hello['server']!r}")
    check(hello["protocol"] == 1, f"hello speaks protocol {hello['protocol']!r}")
    check(isinstance(hello["version"], str), "hello without a version")
    check(
        isinstance(hello["heartbeat_interval"], int) and hello["heartbeat_interval"] > 0,
        f"heartbeat_interval {hello['heartbeat_interval']!r}",
    )
    started = conn.expect({"type": "start_session", "host": HOST}, "session_started")
    check(isinstance(started["session"], int), f"session {started['session']!r}")
    check(
        re.fullmatch(r"[0-9a-f]{32}", started["secret"] or "") is not None,
        f"secret is not 32 hexadecimal digits: {started['secret']!r}",
    )
    check(
        started["heartbeat_interval"] == hello["heartbeat_interval"],
        "session_started and hello disagree on the heartbeat interval",
    )
    return started["session"], started["secret"]


def checkouts(conn, session):
    """Two checkouts from one device (the second shared), one from another,
    then a full pool and an unknown feature."""
    first = conn.expect(checkout(session, "ann", "dev-1"), "granted")
    check(first["shared"] is False and first["burst"] is False, f"first: {first!r}")
    again = conn.expect(checkout(session, "ann", "dev-1"), "granted")
    check(again["shared"] is True, f"a second checkout from one device is shared: {again!r}")
    check(again["handle"] != first["handle"], "two checkouts, one handle")
    check(pool_of(again["pool"]) == pool_of(first["pool"]), "one device, two pools")
    check(first["pool"]["feature"] == FEATURE, f"pool {first['pool']!r}")
    other = conn.expect(checkout(session, "bob", "dev-2"), "granted")
    check(other["shared"] is False and other["burst"] is False, f"other: {other!r}")
    # Both licenses are held: a third device is refused, not burst (not retail).
    conn.refused(checkout(session, "cid", "dev-3"), -4)
    conn.refused(checkout(session, "ann", "dev-1", feature="NO_SUCH_FEATURE"), -5)
    conn.refused(checkout(session, "ann", "dev-1", version="2099.0101"), -21)
    conn.refused(checkout(session, "", "dev-1"), -42)
    return first, again, other


def check_status(conn, session, handles, in_use):
    """The status agrees with what this client holds."""
    status = conn.expect({"type": "status"}, "status")
    pool = feature_pool(status)
    check(pool["installed"] == 2, f"installed {pool['installed']!r}, expected 2")
    check(pool["in_use"] == in_use, f"in_use {pool['in_use']!r}, expected {in_use}")
    mine = [c for c in status["checkouts"] if c["session"] == session]
    check(
        sorted(c["handle"] for c in mine) == sorted(handles),
        f"checkouts {[c['handle'] for c in mine]}, expected {sorted(handles)}",
    )
    licenses = sum(c["licenses"] for c in mine if c["feature"] == FEATURE)
    check(licenses == in_use, f"checkouts stand for {licenses} licenses, in use {in_use}")
    sessions = [s for s in status["sessions"] if s["session"] == session]
    check(len(sessions) == 1, f"session {session} not in the status")
    check(
        sessions[0]["checkouts"] == len(handles),
        f"session holds {sessions[0]['checkouts']}, expected {len(handles)}",
    )
    check(status["connections"] == [], "a TCP client sees user/device connections")
    return status


def run(host, port):
    conn = Connection(host, port)
    session, secret = hello_and_session(conn)
    first, again, other = checkouts(conn, session)
    check(conn.expect({"type": "heartbeat", "session": session}, "ok") == {"type": "ok"},
          "ok has fields")
    held = [first["handle"], again["handle"], other["handle"]]
    check_status(conn, session, held, 2)
    # The server ignores fields it does not know, also beside a request
    # that has none of its own.
    conn.expect({"type": "heartbeat", "session": session, "sent_by": "doc-client"}, "ok")
    pools = conn.expect({"type": "pools", "cache": True}, "pools")
    check(feature_pool({"pools": pools["pools"]})["in_use"] == 2, "pools: in_use")
    whoami = conn.expect({"type": "whoami"}, "identity")
    check(
        whoami == {"type": "identity", "name": "a remote client", "role": "remote"},
        f"whoami over TCP: {whoami!r}",
    )

    # The connection drops; the session and its checkouts wait.
    conn.close()
    conn = Connection(host, port)
    conn.refused({"type": "checkin", "session": session, "handle": first["handle"]}, -63)
    conn.refused({"type": "reconnect", "session": session, "secret": "0" * 32}, -63)
    conn.refused({"type": "reconnect", "session": session}, -63)
    conn.expect({"type": "reconnect", "session": session, "secret": secret}, "ok")
    check_status(conn, session, held, 2)

    # dev-1 still holds its license through the shared checkout.
    conn.expect({"type": "checkin", "session": session, "handle": first["handle"]}, "ok")
    check_status(conn, session, [again["handle"], other["handle"]], 2)
    conn.refused({"type": "checkin", "session": session, "handle": first["handle"]}, -134)
    conn.expect({"type": "checkin", "session": session, "handle": other["handle"]}, "ok")
    check_status(conn, session, [again["handle"]], 1)
    conn.expect({"type": "end_session", "session": session}, "ok")
    status = conn.expect({"type": "status"}, "status")
    check(feature_pool(status)["in_use"] == 0, "licenses in use after end_session")
    check(all(s["session"] != session for s in status["sessions"]), "session after its end")
    conn.refused({"type": "heartbeat", "session": session}, -63)
    conn.close()


def close_by_the_server(conn):
    """Sends an empty frame: the server answers -12 with id 0 and closes the
    connection, after it has let go of the connection's sessions."""
    conn.sock.sendall(struct.pack(">I", 0))
    (length,) = struct.unpack(">I", conn._read_exactly(4))
    answer = json.loads(conn._read_exactly(length).decode("utf-8"))
    check(
        answer["id"] == 0 and answer["body"].get("code") == -12,
        f"an empty frame is answered {answer!r}",
    )
    check(conn.sock.recv(1) == b"", "the connection stays open after an empty frame")
    conn.close()


def take_over(host, port):
    """A product whose old connection is still open (half-open, as after a
    network failure) reconnects on a new one: the session belongs to the
    new connection only, and the old one's end does not lapse it."""
    old = Connection(host, port)
    session, secret = hello_and_session(old)
    held = old.expect(checkout(session, "dan", "dev-9"), "granted")
    new = Connection(host, port)
    new.expect({"type": "reconnect", "session": session, "secret": secret}, "ok")
    old.refused({"type": "heartbeat", "session": session}, -63)
    old.refused({"type": "checkin", "session": session, "handle": held["handle"]}, -63)
    close_by_the_server(old)
    status = new.expect({"type": "status"}, "status")
    mine = [s for s in status["sessions"] if s["session"] == session]
    check(len(mine) == 1, f"session {session} not in the status")
    check(
        mine[0]["lapsed_at"] is None,
        "the old connection's end lapsed a session the new one owns",
    )
    new.expect({"type": "checkin", "session": session, "handle": held["handle"]}, "ok")
    new.expect({"type": "end_session", "session": session}, "ok")
    new.close()


def main():
    if len(sys.argv) != 3:
        print("usage: product.py HOST PORT", file=sys.stderr)
        return 2
    try:
        run(sys.argv[1], int(sys.argv[2]))
        take_over(sys.argv[1], int(sys.argv[2]))
    except Mismatch as e:
        print(f"the server disagrees with docs/protocol.md: {e}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"the exchange failed: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print("every answer is what docs/protocol.md says")
    return 0


if __name__ == "__main__":
    sys.exit(main())
