#!/usr/bin/python3
"""impair-frames.py - a fixed, numbered frame stream for testing hare-impair.

  impair-frames.py send IF N [--rate PPS] [--vlan ID]
                                  send N numbered frames out of IF, paced to
                                  PPS, with an 802.1Q tag if --vlan
  impair-frames.py recv IF [--idle S]
                                  receive them on IF until S seconds of
                                  silence, then print a summary

Frames use the IEEE local experimental EtherType 0x88b5, which no kernel
stack answers, so the wire carries exactly the frames sent and nothing else.
Each frame is 60 bytes: Ethernet header, then the sequence number (4 bytes,
big-endian) and its complement repeated to fill the frame.

`recv` prints one line:
  recv count=N unique=U dup=D late=L bad=B vlan=V digest=HEX
count: frames received; unique: distinct intact sequence numbers; dup:
intact repeats; late: intact frames arriving after a higher number (the
reordering seen); bad: frames whose pattern does not match their number
(corrupted); vlan: frames that carried VLAN tag 100 (the kernel hands the
tag apart, as PACKET_AUXDATA); digest: sha256 of all frames in arrival order, so two runs
can be compared byte for byte.  It prints `recv ready` once bound, before
anything is sent.
"""
import argparse
import hashlib
import select
import socket
import struct
import sys
import time

ETHERTYPE = 0x88B5
ETHERTYPE_BYTES = struct.pack("!H", ETHERTYPE)
ETH_P_ALL = 3
FRAME_LEN = 60
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4
AUXDATA = struct.Struct("IIIHHHH")  # struct tpacket_auxdata
DST = bytes.fromhex("0200c6120001")  # rig stack MAC (hs0)
SRC = bytes.fromhex("0200c6120002")  # rig peer MAC (hp0)


def frame(seq):
    body = struct.pack("!I", seq)
    # the complement of the number, repeated: any single flipped bit in the
    # number or the pattern makes the frame fail intact()
    pattern = (struct.pack("!I", seq ^ 0xFFFFFFFF) * 11)[:FRAME_LEN - 14 - 4]
    return DST + SRC + struct.pack("!H", ETHERTYPE) + body + pattern


def intact(data):
    if len(data) != FRAME_LEN or data[12:14] != struct.pack("!H", ETHERTYPE):
        return None
    seq = struct.unpack("!I", data[14:18])[0]
    return seq if data == frame(seq) else None


def send(ifname, count, rate, vlan):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
    s.bind((ifname, 0))
    frames = [frame(i) for i in range(count)]
    if vlan is not None:
        tag = struct.pack("!HH", 0x8100, vlan)
        frames = [f[:12] + tag + f[12:] for f in frames]
    start = time.monotonic()
    for i, f in enumerate(frames):
        while True:
            try:
                s.send(f)
                break
            except (BlockingIOError, OSError):
                time.sleep(0.0005)  # socket buffer full: let the wire drain
        if rate and i % 64 == 63:
            ahead = start + (i + 1) / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    took = time.monotonic() - start
    print("send count=%d seconds=%.3f pps=%.0f" % (count, took, count / took if took else 0))


def recv(ifname, idle):
    # ETH_P_ALL, not ETHERTYPE: the kernel clears a VLAN tag it cannot
    # deliver to a VLAN device before it hands frames to protocol-bound
    # sockets; only the "all" taps still see it.
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.bind((ifname, ETH_P_ALL))
    print("recv ready", flush=True)
    h = hashlib.sha256()
    count = dup = late = bad = vlan = 0
    seen = set()
    highest = -1
    poller = select.poll()
    poller.register(s, select.POLLIN)
    while poller.poll(int(idle * 1000)):
        data, anc, _, addr = s.recvmsg(65536, socket.CMSG_SPACE(AUXDATA.size))
        if addr[2] == socket.PACKET_OUTGOING or data[12:14] != ETHERTYPE_BYTES:
            continue
        count += 1
        tci = None
        for level, kind, value in anc:
            if level == SOL_PACKET and kind == PACKET_AUXDATA and len(value) >= AUXDATA.size:
                status, _, _, _, _, vtci, _ = AUXDATA.unpack_from(value)
                if status & TP_STATUS_VLAN_VALID:
                    tci = vtci
        if tci is not None:
            vlan += 1 if (tci & 0xFFF) == 100 else 0
            h.update(struct.pack("!H", tci))
        h.update(struct.pack("!I", len(data)) + data)
        seq = intact(data)
        if seq is None:
            bad += 1
            continue
        if seq in seen:
            dup += 1
            continue
        seen.add(seq)
        if seq < highest:
            late += 1
        highest = max(highest, seq)
    print("recv count=%d unique=%d dup=%d late=%d bad=%d vlan=%d digest=%s"
          % (count, len(seen), dup, late, bad, vlan, h.hexdigest()), flush=True)


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sp = sub.add_parser("send")
    sp.add_argument("ifname")
    sp.add_argument("count", type=int)
    sp.add_argument("--rate", type=float, default=0, help="frames per second, 0: flat out")
    sp.add_argument("--vlan", type=int, default=None, help="802.1Q VLAN id to tag with")
    rp = sub.add_parser("recv")
    rp.add_argument("ifname")
    rp.add_argument("--idle", type=float, default=1.0, help="seconds of silence that end it")
    args = ap.parse_args(argv[1:])
    try:
        if args.cmd == "send":
            send(args.ifname, args.count, args.rate, args.vlan)
        else:
            recv(args.ifname, args.idle)
        return 0
    except PermissionError:
        print("impair-frames: AF_PACKET needs root (CAP_NET_RAW)", file=sys.stderr)
        return 1
    except OSError as e:
        print("impair-frames: %s (does the interface exist in this namespace?)" % e,
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
