/**
 * Ethernet frames outside the MAC models: where an emulated adapter's transmitted frames go and where its
 * received frames come from.
 *
 *   const cable = new EthernetCable(adapterA, adapterB);   // two LAN7801s exchange frames
 *   adapterA.connect(tee(cable.endA, pcap));               // and a capture of what A sends
 *   const pcap = openPcapFile('eth0.pcap', clock);          // LINKTYPE_ETHERNET, no FCS
 *
 * `src/net` except pcap-file.ts is pure (no I/O).
 */
export type { FrameReceiver } from './frame.js';
export {
  ETH_HLEN,
  ETH_ZLEN,
  ETH_FCS_LEN,
  ETHERTYPE_VLAN,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  BROADCAST,
  isBroadcast,
  isMulticast,
  formatMac,
  parseMac,
  tee,
} from './frame.js';
export { ethernetFcs, crc32BigEndian } from './crc32.js';
export {
  PcapRecorder,
  pcapGlobalHeader,
  pcapRecord,
  parsePcap,
  LINKTYPE_ETHERNET,
  PCAP_MAGIC_MICROSECONDS,
  type PcapPacket,
  type PcapRecorderOptions,
} from './pcap.js';
export { openPcapFile } from './pcap-file.js';
export { EthernetCable, FrameCollector, loopbackPlug } from './link.js';
export { insertChecksums, segmentTcp, type ChecksumRequest } from './offload.js';
export { NetworkPeer, parseIpv4, FRAME_CLASSES, type FrameClass, type NetworkPeerOptions } from './peer.js';
