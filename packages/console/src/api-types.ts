/**
 * The JSON the admin port serves, as the console reads it. (The server and @ns/protocol define
 * these; the console is a separate browser build that imports nothing from Node packages, so the
 * shapes it relies on are restated here.)
 */

export interface DataVersion {
  readonly counter: number;
  readonly timestamp: number;
}

export interface LiveBroker {
  readonly clusterName: string;
  readonly brokerName: string;
  readonly brokerId: number;
  readonly brokerAddr: string;
  readonly haServerAddr: string | null;
  readonly lastUpdateTimestamp: number;
  readonly lastUpdateAgeMillis: number;
  readonly heartbeatTimeoutMillis: number | null;
  readonly dataVersion: DataVersion | null;
  readonly brokerVersion: number | null;
}

export interface DigestBrokerGroup {
  readonly brokerName: string;
  readonly cluster: string;
  readonly brokerAddrs: Readonly<Record<string, string>>;
  readonly topicCount: number;
  readonly topicsHash: string;
}

export interface DigestBroker {
  readonly clusterName: string;
  readonly brokerName: string;
  readonly brokerId: number;
  readonly brokerAddr: string;
  readonly dataVersion: DataVersion;
}

export interface RouteDigest {
  readonly format: number;
  readonly digest: string;
  readonly topicCount: number;
  readonly clusters: readonly {
    readonly clusterName: string;
    readonly brokerNames: readonly string[];
  }[];
  readonly brokerGroups: readonly DigestBrokerGroup[];
  readonly brokers: readonly DigestBroker[];
}

export interface TopicPage {
  readonly total: number;
  readonly matched: number;
  readonly offset: number;
  readonly limit: number;
  readonly topics: readonly {
    readonly topic: string;
    readonly brokerNames: readonly string[];
    readonly readQueueNums: number;
    readonly writeQueueNums: number;
    readonly perms: readonly number[];
  }[];
}

export interface QueueData {
  readonly brokerName: string;
  readonly readQueueNums: number;
  readonly writeQueueNums: number;
  readonly perm: number;
  readonly topicSysFlag: number;
}

export interface TopicDetail {
  readonly topic: string;
  readonly route: {
    readonly queueDatas: readonly QueueData[];
    readonly brokerDatas: readonly {
      readonly cluster: string;
      readonly brokerName: string;
      readonly brokerAddrs: Readonly<Record<string, string>>;
    }[];
  };
  readonly orderTopicConf: string | null;
  /** Present when the node's access policy protects KV reads: why orderTopicConf is left out. */
  readonly orderTopicConfHidden?: string;
}

export interface ConfigEntry {
  readonly key: string;
  readonly value: string | number | boolean;
  readonly defaultValue: string | number | boolean;
  readonly source: { readonly kind: string; readonly detail: string };
  readonly live: boolean;
  readonly description: string;
}

type NodeNames = readonly string[];

export type Difference =
  | {
      readonly kind: 'brokerName-missing';
      readonly brokerName: string;
      readonly cluster: string;
      readonly presentOn: NodeNames;
      readonly missingOn: NodeNames;
    }
  | {
      readonly kind: 'cluster-differs';
      readonly brokerName: string;
      readonly values: readonly {
        readonly node: string;
        readonly cluster: string;
        readonly memberOf: NodeNames;
      }[];
    }
  | {
      readonly kind: 'addresses-differ';
      readonly brokerName: string;
      readonly values: readonly {
        readonly node: string;
        readonly brokerAddrs: Readonly<Record<string, string>>;
      }[];
    }
  | {
      readonly kind: 'broker-missing';
      readonly brokerName: string;
      readonly clusterName: string;
      readonly brokerId: number;
      readonly brokerAddr: string;
      readonly presentOn: NodeNames;
      readonly missingOn: NodeNames;
    }
  | {
      readonly kind: 'dataVersion-differs';
      readonly brokerName: string;
      readonly brokerId: number;
      readonly brokerAddr: string;
      readonly values: readonly { readonly node: string; readonly dataVersion: DataVersion }[];
    }
  | {
      readonly kind: 'topics-differ';
      readonly brokerName: string;
      readonly values: readonly {
        readonly node: string;
        readonly topicCount: number;
        readonly topicsHash: string;
      }[];
      readonly topics:
        | readonly {
            readonly topic: string;
            readonly values: readonly {
              readonly node: string;
              readonly queue: Omit<QueueData, 'brokerName'> | null;
            }[];
          }[]
        | null;
      readonly moreTopics: number;
      /** Why `topics` is null after a check (absent while it is filled). */
      readonly unexplained?: 'unreadable' | 'limit' | 'deadline';
    };

export interface ConsistencyResult {
  readonly nodes: readonly { readonly node: string; readonly adminUrl: string }[];
  readonly digests: readonly { readonly node: string; readonly digest: RouteDigest }[];
  readonly report: {
    readonly agree: boolean;
    readonly differences: readonly Difference[];
    /** Differences beyond the listed ones (a report lists at most 1,000). */
    readonly moreDifferences: number;
  } | null;
  readonly failures: readonly {
    readonly node: string;
    readonly adminUrl: string;
    readonly error: string;
  }[];
}
