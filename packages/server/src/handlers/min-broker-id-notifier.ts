/**
 * [5.x] Turns the route manager's min-broker-id changes into NOTIFY_MIN_BROKER_ID_CHANGE (905)
 * requests, as Java's `RouteInfoManager.notifyMinBrokerIdChanged` does: one one-way request
 * built per change (the same opaque for every recipient) and sent to each broker address Java
 * chooses, through `send`, which the composition root backs with a connection to that address
 * (Java uses its remoting client: the broker's own listening port, not the connection the broker
 * registered on).
 */
import {
  createRequest,
  encodeNotifyMinBrokerIdChangeRequestHeader,
  RequestCode,
} from '@ns/protocol';
import type { NotifyMinBrokerIdChangeRequestHeader, RemotingCommand } from '@ns/protocol';
import type { MinBrokerIdChange, RouteInfoManager } from '../route/index.js';
import type { HandlerLogger } from './deps.js';

/** Sends a request the NameServer initiates to a broker, one-way. Must not throw. */
export type NotifyBroker = (brokerAddr: string, command: RemotingCommand) => void;

export interface MinBrokerIdNotifierDeps {
  routeInfoManager: Pick<RouteInfoManager, 'onMinBrokerIdChanged'>;
  send: NotifyBroker;
  /** The version of the Java line the node answers as. */
  version: number;
  logger: HandlerLogger;
}

/** The 905 request for one change; `opaque` from the sender's own request counter. */
export function minBrokerIdChangeRequest(
  change: MinBrokerIdChange,
  opaque: number,
  version: number,
): RemotingCommand {
  const header: NotifyMinBrokerIdChangeRequestHeader = {
    minBrokerId: change.minBrokerId,
    minBrokerAddr: change.minBrokerAddr,
  };
  if (change.offlineBrokerAddr !== null) header.offlineBrokerAddr = change.offlineBrokerAddr;
  if (change.haBrokerAddr !== null) header.haBrokerAddr = change.haBrokerAddr;
  return createRequest({
    code: RequestCode.NOTIFY_MIN_BROKER_ID_CHANGE,
    opaque,
    extFields: encodeNotifyMinBrokerIdChangeRequestHeader(header),
    oneway: true,
    version,
  });
}

/** Subscribes; returns the unsubscribe function. */
export function notifyMinBrokerIdChanges(deps: MinBrokerIdNotifierDeps): () => void {
  let nextOpaque = 0;
  return deps.routeInfoManager.onMinBrokerIdChanged((change) => {
    const request = minBrokerIdChangeRequest(change, nextOpaque++, deps.version);
    deps.logger.info(
      {
        brokerName: change.brokerName,
        minBrokerId: change.minBrokerId,
        offlineBrokerAddr: change.offlineBrokerAddr,
        notify: change.notifyBrokerAddrs,
      },
      'min broker id changed, notifying brokers',
    );
    for (const brokerAddr of change.notifyBrokerAddrs) deps.send(brokerAddr, request);
  });
}
