#!/usr/bin/python3
"""httpd_client.py: misbehaving HTTP clients for tests/integration/httpd.sh,
run in the peer namespace against hare-httpd. Each mode prints one line of
key=value results for the shell to check; exit status 2 on a usage error.

  slowloris HOST PORT N SECONDS  N connections each send a partial request
      head, then one more header line every second, never the final CRLF.
      Waits until the server closed them all or SECONDS passed. Prints
      opened, closed (EOF or reset), got408, min_life/max_life (seconds
      from connect to close, over the closed ones).
  idle HOST PORT PATH            one keep-alive request, read the response,
      then wait for the server to close: prints status, idle_close_s.
  slowread HOST PORT PATH PAUSE  small receive buffer, request, sleep PAUSE
      seconds, then read the whole response: prints status, length, sha256.
  noread HOST PORT PATH WAIT     small receive buffer, request, never read
      for WAIT seconds, then drain: prints outcome=reset|eof|open.
  steps HOST PORT STEP...        one connection (TCP_NODELAY), each STEP
      sent as one segment: "METHOD PATH" is an HTTP/1.1 request with
      "Host: x", its response read before the next step (a HEAD's head
      only); "RAW:TEXT" sends TEXT (\r \n escapes) and waits 0.3 s without
      reading. Prints one token per response, space-separated: STATUS:BODY
      (body up to 16 bytes, blanks as _) or STATUS:len=N, a HEAD's as
      STATUS:cl=N.
"""
import hashlib
import resource
import selectors
import socket
import sys
import time


def connect(host, port, rcvbuf=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(5)
    s.connect((host, port))
    return s


def recv_head(s, deadline):
    """Bytes up to and past the end of a response head."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        s.settimeout(max(0.1, deadline - time.time()))
        d = s.recv(65536)
        if not d:
            raise EOFError("closed before the head ended")
        buf += d
    return buf


def read_response(s, deadline):
    """One response with Content-Length: (status, body bytes)."""
    buf = recv_head(s, deadline)
    head, _, body = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for ln in lines[1:]:
        k, _, v = ln.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(body) < length:
        s.settimeout(max(0.1, deadline - time.time()))
        d = s.recv(1 << 20)
        if not d:
            raise EOFError("closed inside the body (%d of %d)" % (len(body), length))
        body += d
    return status, body[:length]


def slowloris(host, port, n, seconds):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = n + 64
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard) if hard > 0 else want, hard))
    sel = selectors.DefaultSelector()
    born = {}
    for i in range(n):
        s = connect(host, port)
        s.sendall(b"GET /slow%d HTTP/1.1\r\nHost: x\r\n" % i)
        s.setblocking(False)
        born[s] = time.time()
        sel.register(s, selectors.EVENT_READ, b"")
    opened = len(born)
    closed = got408 = 0
    lives = []
    start = time.time()
    next_drip = start + 1.0
    while born and time.time() - start < seconds:
        for key, _ in sel.select(timeout=0.1):
            s = key.fileobj
            try:
                d = s.recv(4096)
            except (ConnectionResetError, BrokenPipeError):
                d = None
            except BlockingIOError:
                continue
            if d:
                data = key.data + d
                sel.modify(s, selectors.EVENT_READ, data)
                continue
            if (key.data or b"").startswith(b"HTTP/1.1 408"):
                got408 += 1
            lives.append(time.time() - born.pop(s))
            closed += 1
            sel.unregister(s)
            s.close()
        if time.time() >= next_drip:
            next_drip += 1.0
            for s in list(born):
                try:
                    s.send(b"X-Drip: 1\r\n")
                except (BlockingIOError, ConnectionResetError, BrokenPipeError):
                    pass
    for s in born:
        s.close()
    print("opened=%d closed=%d got408=%d min_life=%.2f max_life=%.2f" % (
        opened, closed, got408, min(lives) if lives else -1, max(lives) if lives else -1))


def idle(host, port, path):
    s = connect(host, port)
    s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
    status, _ = read_response(s, time.time() + 5)
    t0 = time.time()
    s.settimeout(30)
    try:
        d = s.recv(1)
        outcome = "eof" if not d else "data"
    except ConnectionResetError:
        outcome = "reset"
    except socket.timeout:
        outcome = "open"
    print("status=%d outcome=%s idle_close_s=%.2f" % (status, outcome, time.time() - t0))


def slowread(host, port, path, pause):
    s = connect(host, port, rcvbuf=32768)
    s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
    time.sleep(pause)
    status, body = read_response(s, time.time() + 60)
    print("status=%d length=%d sha256=%s" % (status, len(body), hashlib.sha256(body).hexdigest()))


def noread(host, port, path, wait):
    s = connect(host, port, rcvbuf=32768)
    s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
    time.sleep(wait)
    outcome = "open"
    s.settimeout(2)
    try:
        while True:
            d = s.recv(1 << 20)
            if not d:
                outcome = "eof"
                break
    except ConnectionResetError:
        outcome = "reset"
    except socket.timeout:
        outcome = "open"
    print("outcome=%s" % outcome)


def read_head(s, deadline):
    """A response head only (HEAD): (status, Content-Length)."""
    buf = recv_head(s, deadline)
    lines = buf.partition(b"\r\n\r\n")[0].split(b"\r\n")
    length = -1
    for ln in lines[1:]:
        k, _, v = ln.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    return int(lines[0].split()[1]), length


def steps(host, port, spec):
    s = connect(host, port)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    out = []
    for st in spec:
        deadline = time.time() + 5
        if st.startswith("RAW:"):
            s.sendall(st[4:].replace("\\r", "\r").replace("\\n", "\n").encode())
            time.sleep(0.3)
            continue
        method, path = st.split(" ", 1)
        s.sendall(b"%s %s HTTP/1.1\r\nHost: x\r\n\r\n" % (method.encode(), path.encode()))
        try:
            if method == "HEAD":
                status, length = read_head(s, deadline)
                out.append("%d:cl=%d" % (status, length))
                continue
            status, body = read_response(s, deadline)
        except (EOFError, OSError) as e:
            out.append("error(%s)" % e)
            break
        if len(body) <= 16:
            out.append("%d:%s" % (status, body.decode("ascii", "replace").strip().replace(" ", "_")))
        else:
            out.append("%d:len=%d" % (status, len(body)))
    print(" ".join(out))


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    mode, host, port = argv[1], argv[2], int(argv[3])
    if mode == "slowloris" and len(argv) == 6:
        slowloris(host, port, int(argv[4]), float(argv[5]))
    elif mode == "idle" and len(argv) == 5:
        idle(host, port, argv[4])
    elif mode == "slowread" and len(argv) == 6:
        slowread(host, port, argv[4], float(argv[5]))
    elif mode == "noread" and len(argv) == 6:
        noread(host, port, argv[4], float(argv[5]))
    elif mode == "steps" and len(argv) >= 5:
        steps(host, port, argv[4:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
