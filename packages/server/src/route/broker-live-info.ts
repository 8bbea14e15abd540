/**
 * `BrokerLiveInfo` and the (clusterName, brokerAddr) key of the live and filter-server tables.
 * Java 5.x keys liveness by `BrokerAddrInfo(clusterName, brokerAddr)`; 4.9 by address only, which
 * lets two clusters that reuse an address clobber each other.
 */
import type { DataVersion } from '@ns/protocol';
import type { ConnectionId } from './types.js';

export interface BrokerLiveInfo {
  readonly key: string;
  readonly clusterName: string;
  readonly brokerAddr: string;
  /** Name/id of the latest registration from this address (used by close/expiry clean-up). */
  brokerName: string;
  brokerId: number;
  lastUpdateTimestamp: number;
  /** Time of the latest REGISTER_BROKER (heartbeats do not move it); orders late unregisters. */
  registeredAt: number;
  heartbeatTimeoutMillis: number;
  dataVersion: DataVersion;
  /** The connection of the latest registration: the only one whose close removes the broker. */
  connectionId: ConnectionId;
  haServerAddr: string | null;
  /** `version` of the latest REGISTER_BROKER frame (Java MQVersion ordinal); null if not given. */
  brokerVersion: number | null;
  /**
   * Set when the latest registration applied its topic table: the request's body tag, the
   * broker name's topic stamp right after, and deleteTopicWithBrokerRegistration then. null
   * otherwise (no tag, or the topics were not applied).
   */
  bodyTag: string | null;
  bodyTopicStamp: number;
  bodyDeleteFlag: boolean;
  /**
   * The broker name's QueueData are exactly the body's topics with the body's numbers (a master's
   * registration that applied every topic): what lets the next body be applied as a delta.
   */
  bodyExact: boolean;
}

// NUL cannot appear in a cluster name a broker can declare, so the key is unambiguous.
export function liveKey(clusterName: string, brokerAddr: string): string {
  return clusterName + '\u0000' + brokerAddr;
}
