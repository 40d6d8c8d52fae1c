import test from 'ava';
import { NetworkPeer } from '../../src/net/peer.js';

const peerMac = Uint8Array.of(0x02, 0, 0, 0, 0, 0x01);
const peerIp = Uint8Array.of(192, 168, 77, 1);
const guestMac = Uint8Array.of(0x96, 0xfe, 0x8f, 0x0c, 0x89, 0x27);
const guestIp = Uint8Array.of(192, 168, 77, 2);

function peer(): { p: NetworkPeer; sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  return { p: new NetworkPeer({ mac: peerMac, ipv4: peerIp, send: (f) => sent.push(f) }), sent };
}

/** RFC 826 request as Linux sends it: broadcast, htype 1, ptype 0x0800, hlen 6, plen 4, op 1. */
function arpRequest(target: Uint8Array): Uint8Array {
  return Uint8Array.of(
    ...[0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    ...guestMac,
    0x08,
    0x06,
    0,
    1,
    0x08,
    0,
    6,
    4,
    0,
    1,
    ...guestMac,
    ...guestIp,
    0,
    0,
    0,
    0,
    0,
    0,
    ...target,
  );
}

/** Ones' complement sum over 16-bit words (RFC 1071): a header with a correct checksum sums to 0xffff. */
function onesSum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

/** An ICMP echo request (RFC 792 type 8) in an IPv4 packet with valid checksums, as busybox ping sends. */
function echoRequest(dst: Uint8Array): Uint8Array {
  const icmp = Uint8Array.of(
    8,
    0,
    0,
    0,
    0x12,
    0x34,
    0,
    1,
    ...'mdio-emu'.split('').map((c) => c.charCodeAt(0)),
  );
  const ip = Uint8Array.of(
    0x45,
    0,
    0,
    20 + icmp.length,
    0xab,
    0xcd,
    0x40,
    0,
    64,
    1,
    0,
    0,
    ...guestIp,
    ...dst,
  );
  const fix = (b: Uint8Array, at: number): void => {
    const c = ~onesSum(b) & 0xffff;
    b[at] = c >> 8;
    b[at + 1] = c & 0xff;
  };
  fix(ip, 10);
  fix(icmp, 2);
  return Uint8Array.of(...peerMac, ...guestMac, 0x08, 0x00, ...ip, ...icmp);
}

test('an ARP request for the peer address gets an RFC 826 reply addressed to the asker', (t) => {
  const { p, sent } = peer();
  p.receive(arpRequest(peerIp));
  t.is(sent.length, 1);
  const r = sent[0]!;
  t.deepEqual([...r.subarray(0, 6)], [...guestMac], 'unicast back to the sender');
  t.deepEqual([...r.subarray(6, 12)], [...peerMac]);
  t.deepEqual([...r.subarray(12, 14)], [0x08, 0x06]);
  t.deepEqual([...r.subarray(14, 22)], [0, 1, 0x08, 0, 6, 4, 0, 2], 'Ethernet/IPv4, op 2 (reply)');
  t.deepEqual([...r.subarray(22, 28)], [...peerMac], 'sender hardware address: the peer');
  t.deepEqual([...r.subarray(28, 32)], [...peerIp]);
  t.deepEqual([...r.subarray(32, 38)], [...guestMac], 'target: the asker');
  t.deepEqual([...r.subarray(38, 42)], [...guestIp]);
  t.deepEqual(p.counts, { any: 1, 'arp-request': 1, 'icmp-echo-request': 0 });
});

test('an ARP request for another address is counted but not answered', (t) => {
  const { p, sent } = peer();
  p.receive(arpRequest(Uint8Array.of(192, 168, 77, 9)));
  t.is(sent.length, 0);
  t.is(p.counts['arp-request'], 1);
});

test('an ICMP echo request to the peer gets an echo reply with valid IPv4 and ICMP checksums', (t) => {
  const { p, sent } = peer();
  const req = echoRequest(peerIp);
  p.receive(req);
  t.is(sent.length, 1);
  const r = sent[0]!;
  t.deepEqual([...r.subarray(0, 6)], [...guestMac]);
  const ip = r.subarray(14, 34);
  t.deepEqual([...ip.subarray(12, 16)], [...peerIp], 'source and destination swapped');
  t.deepEqual([...ip.subarray(16, 20)], [...guestIp]);
  t.is(onesSum(ip), 0xffff, 'IPv4 header checksum (RFC 791)');
  const icmp = r.subarray(34);
  t.is(icmp[0], 0, 'type 0: echo reply');
  t.is(onesSum(icmp), 0xffff, 'ICMP checksum (RFC 792)');
  t.deepEqual([...icmp.subarray(4)], [...req.subarray(38)], 'identifier, sequence and data echoed');
  t.is(p.counts['icmp-echo-request'], 1);
});

test('an echo request to another host is not answered; other frames only count', (t) => {
  const { p, sent } = peer();
  p.receive(echoRequest(Uint8Array.of(10, 0, 0, 1)));
  p.receive(Uint8Array.of(...peerMac, ...guestMac, 0x86, 0xdd, ...new Array<number>(46).fill(0)));
  t.is(sent.length, 0);
  t.deepEqual(p.counts, { any: 2, 'arp-request': 0, 'icmp-echo-request': 1 });
});
