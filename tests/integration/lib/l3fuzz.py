#!/usr/bin/python3
"""l3fuzz.py — 10,000 bad, truncated and random frames at a running hare app,
category by category, each checked against the app's counters.

Runs in the peer namespace (ip netns exec hare-peer /usr/bin/python3 ...).
Frames are built from scapy templates and byte-level mutations, and leave
through one AF_PACKET raw socket bound to the peer interface (scapy's sendp
costs ~1 ms a frame; the socket sends 10,000 in well under a second). They
are paced in small bursts so the AF_PACKET ring in front of hare never
overflows: a frame the kernel dropped there would be one hare never saw.

For every category the counters are read before and after through the
app's SIGUSR1 snapshot (the "== stats snapshot N ==" blocks in its log),
and the deltas must match exactly:
  * the drop counter the category is built to hit grows by the number sent,
    and drops_total by as much (no frame is counted twice or elsewhere);
  * frames that are answered (echo with IP options, UDP, unknown protocol)
    grow their answer counters, ICMP errors possibly capped by the rate limit
    (icmp_tx_unreachable + drop_rate_limited = sent);
  * random frames: every one ends in some drop counter (drops_total grows by
    the number sent; a random frame passing every check — version, lengths,
    a 16-bit checksum and a 32-bit address at once — is beyond chance);
  * rx_packets grows by exactly the frames sent plus the peer kernel's own
    ARP traffic (arp_tx_reply + arp_rx_reply deltas): nothing is lost or
    invented.
One line per category: "PASS fuzz.<cat> ..." or "FAIL fuzz.<cat>: ...".
The seed is printed; --seed replays a run.
"""
import argparse
import os
import random
import re
import signal
import socket
import struct
import sys
import time

from scapy.all import (ICMP, IP, UDP, Ether, IPOption_EOL, IPOption_NOP, IPOption_RR,
                       IPOption_Timestamp, Raw)
from scapy.utils import checksum

ETH_IP = 0x0800
ETH_ARP = 0x0806


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def ip_bytes(text):
    return socket.inet_aton(text)


class App:
    """The running hare app: its PID and the log with its counter blocks."""

    def __init__(self, pid, log):
        self.pid = pid
        self.log = log

    def _blocks(self):
        with open(self.log, errors="replace") as f:
            text = f.read()
        return re.findall(r"^== stats snapshot (\d+) ==\n(.*?)^== end ==$", text, re.M | re.S)

    def snapshot(self):
        before = len(self._blocks())
        os.kill(self.pid, signal.SIGUSR1)
        deadline = time.time() + 5
        while time.time() < deadline:
            blocks = self._blocks()
            if len(blocks) > before:
                counters = {}
                for name, value in re.findall(r"([a-z_][a-z0-9_]*)\s+(\d+)", blocks[-1][1]):
                    counters[name] = int(value)
                return counters
            time.sleep(0.02)
        raise RuntimeError("no counter snapshot from pid %d in %s" % (self.pid, self.log))

    def settled(self, before, expect_rx):
        """Snapshots until rx_packets grew by expect_rx and stopped moving."""
        deadline = time.time() + 10
        last = None
        while True:
            now = self.snapshot()
            grown = now.get("rx_packets", 0) - before.get("rx_packets", 0)
            if grown >= expect_rx and last is not None and \
                    now.get("rx_packets", 0) == last.get("rx_packets", 0):
                return now
            if time.time() > deadline:
                return now
            last = now
            time.sleep(0.05)


class Fuzzer:
    def __init__(self, args):
        self.rng = random.Random(args.seed)
        self.our_mac = mac_bytes(args.dst_mac)
        self.peer_mac = mac_bytes(args.src_mac)
        self.our_ip = args.our_ip
        self.peer_ip = args.peer_ip
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        self.sock.bind((args.iface, 0))
        self.sent_total = 0

    # -- helpers
    def rbytes(self, n):
        return self.rng.randbytes(n)

    def eth(self, payload, etype, dst=None):
        return (dst or self.our_mac) + self.peer_mac + struct.pack("!H", etype) + payload

    def ip_hdr(self, **kw):
        """A valid IPv4 header + payload (scapy builds, checksums included)."""
        payload = kw.pop("payload", b"")
        pkt = IP(src=kw.pop("src", self.peer_ip), dst=kw.pop("dst", self.our_ip),
                 id=self.rng.randrange(65536), **kw)
        return bytes(pkt / Raw(payload)) if payload else bytes(pkt)

    def echo(self, **kw):
        icmp = bytes(ICMP(type=8, id=self.rng.randrange(65536), seq=self.rng.randrange(65536))
                     / Raw(self.rbytes(self.rng.randrange(0, 64))))
        return self.ip_hdr(proto=1, payload=icmp, **kw)

    def unicast_mac(self):
        while True:
            m = bytearray(self.rbytes(6))
            m[0] &= 0xFE  # unicast
            if bytes(m) not in (self.our_mac, b"\0" * 6):
                return bytes(m)

    @staticmethod
    def not_fragment(b):
        """Clear MF and the offset of random bytes that parse as an IPv4
        header, or the kernel's fanout defrag would swallow them (above)."""
        b = bytearray(b)
        if len(b) >= 20 and b[0] >> 4 == 4 and b[0] & 0x0F >= 5:
            b[6] &= 0x40
            b[7] = 0
        return bytes(b)

    def send(self, frames):
        """Paced: bursts of 32 then 1 ms, so the AF_PACKET ring keeps up."""
        for i, f in enumerate(frames):
            self.sock.send(f)
            if i % 32 == 31:
                time.sleep(0.001)
        self.sent_total += len(frames)

    # -- categories: name -> (frames, expected exact deltas, kind)
    def categories(self):
        r = self.rng
        cats = []

        # Ethernet
        cats.append(("eth_other_dst", [self.eth(self.rbytes(r.randrange(0, 100)), ETH_IP,
                                                dst=self.unicast_mac()) for _ in range(800)]
                     + [self.eth(self.rbytes(40), ETH_IP, dst=bytes([0x01, 0x00, 0x5e, 0, 0, r.randrange(256)]))
                        for _ in range(200)],
                     {"drop_not_for_us": 1000}))
        # VLAN-tagged frames (0x8100, 0x88a8) carry at least 20 bytes after
        # the type: measured, the kernel drops ~15% of tagged frames with 4..20
        # bytes (too short to untag, or a random inner tag) before AF_PACKET
        # sees them. A whole one is untagged by the kernel and re-tagged by
        # net_af_packet, so hare sees the tag and drops it (hare runs untagged).
        def unknown_type():
            t = r.choice([0x86DD, 0x8100, 0x88CC, 0x88A8, 0x0000, 0xFFFF, r.randrange(0x0900, 0xFFFF)])
            return self.eth(self.rbytes(r.randrange(20 if t in (0x8100, 0x88A8) else 0, 100)), t)
        cats.append(("eth_unknown_type", [unknown_type() for _ in range(500)], {"drop_not_for_us": 500}))

        # ARP
        bcast = b"\xff" * 6
        cats.append(("arp_truncated", [self.eth(self.rbytes(r.randrange(0, 28)), ETH_ARP, dst=bcast)
                                       for _ in range(500)], {"drop_bad_len": 500}))

        def arp(htype=1, ptype=ETH_IP, hlen=6, plen=4, op=1, sha=None, spa="198.18.1.1",
                tha=b"\0" * 6, tpa=None):
            return struct.pack("!HHBBH", htype, ptype, hlen, plen, op) + (sha or self.peer_mac) + \
                ip_bytes(spa) + tha + ip_bytes(tpa or self.our_ip)

        bad = []
        for i in range(500):
            k = i % 5
            bad.append(self.eth(arp(htype=r.choice([0, 6, 0xFFFF])) if k == 0 else
                                arp(ptype=r.choice([0x86DD, 0, 0x0806])) if k == 1 else
                                arp(hlen=r.choice([0, 4, 8, 255])) if k == 2 else
                                arp(plen=r.choice([0, 6, 16])) if k == 3 else
                                arp(op=r.choice([0, 3, 4, 9, 0xFFFF])), ETH_ARP, dst=bcast))
        cats.append(("arp_bad_header", bad, {"drop_bad_header": 500}))
        cats.append(("arp_bad_sender", [self.eth(arp(sha=r.choice([b"\0" * 6, b"\x01\0\x5e\0\0\x01", bcast])),
                                                 ETH_ARP, dst=bcast) for _ in range(300)],
                     {"drop_martian": 300}))
        cats.append(("arp_not_for_us",
                     [self.eth(arp(sha=self.unicast_mac(), spa="198.18.%d.%d" % (r.randrange(2, 200), r.randrange(1, 255)),
                                   tpa="198.18.0.%d" % r.randrange(100, 200)), ETH_ARP, dst=bcast)
                      for _ in range(400)],
                     {"drop_not_for_us": 400, "arp_rx_request": 400}))

        # IPv4 header checks, in the order ipv4.c makes them
        cats.append(("ip_truncated", [self.eth(self.rbytes(r.randrange(0, 20)), ETH_IP) for _ in range(500)],
                     {"drop_bad_len": 500}))
        frames = []
        for i in range(500):
            h = bytearray(self.echo())
            if i % 2:
                h[0] = (r.choice([0, 1, 2, 3, 5, 6, 7, 15]) << 4) | (h[0] & 0x0F)
            else:
                h[0] = 0x40 | r.randrange(0, 5)  # IHL < 5
            frames.append(self.eth(bytes(h), ETH_IP))
        cats.append(("ip_bad_version_ihl", frames, {"drop_bad_header": 500}))
        frames = []
        for i in range(500):
            h = bytearray(self.echo())
            k = i % 3
            if k == 0:    # total length beyond the frame
                struct.pack_into("!H", h, 2, len(h) + r.randrange(1, 1000))
            elif k == 1:  # total length below the header
                struct.pack_into("!H", h, 2, r.randrange(0, 20))
            else:         # header (IHL) longer than the frame
                h[0] = 0x4F
                h = h[:r.randrange(20, 60)]
            struct.pack_into("!H", h, 10, 0)
            struct.pack_into("!H", h, 10, checksum(bytes(h[:20])))
            frames.append(self.eth(bytes(h), ETH_IP))
        cats.append(("ip_bad_length", frames, {"drop_bad_len": 500}))
        frames = []
        for _ in range(500):
            h = bytearray(self.echo())
            h[10] ^= r.randrange(1, 256)
            frames.append(self.eth(bytes(h), ETH_IP))
        cats.append(("ip_bad_checksum", frames, {"drop_bad_cksum": 500}))
        cats.append(("ip_ttl_zero", [self.eth(self.echo(ttl=0), ETH_IP) for _ in range(300)], {"drop_ttl": 300}))
        cats.append(("ip_not_for_us", [self.eth(self.echo(dst="198.18.0.%d" % r.randrange(100, 200)), ETH_IP)
                                       for _ in range(300)], {"drop_not_for_us": 300}))
        cats.append(("ip_martian_source",
                     [self.eth(self.echo(src=r.choice(["0.0.0.0", "255.255.255.255", "224.0.0.1", "239.9.9.9"])),
                               ETH_IP) for _ in range(300)], {"drop_martian": 300}))
        # No fragment category: net_af_packet's PACKET_FANOUT_FLAG_DEFRAG makes
        # the kernel hold IPv4 fragments for reassembly, so a lone fragment
        # never reaches hare on this rig (the unit tests cover that path).

        # ICMP
        frames = []
        for _ in range(300):
            h = bytearray(self.echo())
            h[22] ^= r.randrange(1, 256)  # ICMP checksum byte
            frames.append(self.eth(bytes(h), ETH_IP))
        cats.append(("icmp_bad_checksum", frames, {"drop_bad_cksum": 300}))
        cats.append(("icmp_truncated", [self.eth(self.ip_hdr(proto=1, payload=self.rbytes(r.randrange(1, 8))), ETH_IP)
                                        for _ in range(300)], {"drop_bad_len": 300}))
        cats.append(("icmp_other_type",
                     [self.eth(self.ip_hdr(proto=1, payload=bytes(ICMP(type=r.choice([0, 13, 15, 17])))), ETH_IP)
                      for _ in range(200)], {"icmp_rx_other": 200}))
        opts = [[IPOption_NOP(), IPOption_NOP(), IPOption_NOP(), IPOption_EOL()],
                [IPOption_RR(routers=["0.0.0.0"] * 3)],
                [IPOption_Timestamp(flg=0, timestamp=[0, 0])]]
        cats.append(("ip_options_echo", [self.eth(self.echo(options=r.choice(opts)), ETH_IP) for _ in range(200)],
                     {"icmp_rx_echo": 200, "icmp_tx_echo_reply": 200}))

        # Upper layers hare does not serve: ICMP errors (rate limited)
        cats.append(("udp_closed_port",
                     [self.eth(self.ip_hdr(proto=17, payload=bytes(UDP(sport=r.randrange(1024, 65535),
                                                                        dport=r.randrange(1, 65535)) /
                                                                    Raw(self.rbytes(r.randrange(0, 64))))), ETH_IP)
                      for _ in range(200)],
                     {"udp_rx_datagrams": 200, "icmp_tx_unreachable+drop_rate_limited": 200}))
        cats.append(("ip_unknown_protocol",
                     [self.eth(self.ip_hdr(proto=r.choice([2, 47, 50, 132, 253]), payload=self.rbytes(20)), ETH_IP)
                      for _ in range(200)],
                     {"ip_rx_unknown_proto": 200, "icmp_tx_unreachable+drop_rate_limited": 200}))

        # Random bytes: every frame must end in some drop counter
        cats.append(("random_ipv4", [self.eth(self.not_fragment(self.rbytes(r.randrange(20, 400))), ETH_IP)
                                     for _ in range(1000)], {"drops_total": 1000}))
        cats.append(("random_arp", [self.eth(self.rbytes(r.randrange(0, 80)), ETH_ARP, dst=r.choice([bcast, self.our_mac]))
                                    for _ in range(300)], {"drops_total": 300}))
        n_left = 10000 - sum(len(c[1]) for c in cats)
        cats.append(("random_frames", [self.rbytes(r.randrange(14, 1514)) for _ in range(n_left)],
                     {"drops_total": n_left}))
        return cats


def delta(after, before, name):
    return sum(after.get(n, 0) - before.get(n, 0) for n in name.split("+"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--iface", required=True)
    ap.add_argument("--dst-mac", required=True, help="hare's MAC")
    ap.add_argument("--src-mac", required=True, help="the peer interface's MAC")
    ap.add_argument("--our-ip", required=True, help="one of hare's addresses")
    ap.add_argument("--peer-ip", required=True)
    ap.add_argument("--pid", type=int, required=True, help="the hare app (SIGUSR1 snapshots)")
    ap.add_argument("--log", required=True, help="the hare app's stdout")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1 << 31)
    print("fuzz: seed %d (replay with --seed %d)" % (args.seed, args.seed), flush=True)

    app = App(args.pid, args.log)
    fz = Fuzzer(args)
    cats = fz.categories()
    total = sum(len(c[1]) for c in cats)
    failures = 0
    first = app.snapshot()
    for name, frames, expect in cats:
        before = app.snapshot()
        fz.send(frames)
        after = app.settled(before, len(frames))
        problems = []
        drops_expected = sum(v for k, v in expect.items() if k.startswith("drop_") and "+" not in k)
        if "drops_total" not in expect:
            # no drop outside the expected ones (+ rate-limited ICMP errors)
            rl = delta(after, before, "drop_rate_limited")
            if delta(after, before, "drops_total") != drops_expected + rl:
                problems.append("drops_total +%d, expected +%d" % (delta(after, before, "drops_total"),
                                                                   drops_expected + rl))
        for counter, want in expect.items():
            got = delta(after, before, counter)
            if got != want:
                problems.append("%s +%d, expected +%d" % (counter, got, want))
        noise = delta(after, before, "arp_tx_reply") + delta(after, before, "arp_rx_reply")
        rx = delta(after, before, "rx_packets")
        if rx != len(frames) + noise:
            problems.append("rx_packets +%d, expected %d sent + %d peer ARP" % (rx, len(frames), noise))
        if problems:
            failures += 1
            print("FAIL fuzz.%s: %s" % (name, "; ".join(problems)), flush=True)
        else:
            print("PASS fuzz.%s (%d frames: %s)" % (
                name, len(frames), ", ".join("%s +%d" % kv for kv in expect.items())), flush=True)
    last = app.snapshot()
    print("fuzz: %d frames sent; rx_packets +%d, drops_total +%d, icmp_tx_echo_reply +%d, "
          "icmp_tx_unreachable +%d, port_imissed +%d" % (
              total, delta(last, first, "rx_packets"), delta(last, first, "drops_total"),
              delta(last, first, "icmp_tx_echo_reply"), delta(last, first, "icmp_tx_unreachable"),
              delta(last, first, "port_imissed")), flush=True)
    if total != 10000:
        print("FAIL fuzz.count: %d frames built, expected 10000" % total)
        failures += 1
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
