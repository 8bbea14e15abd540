// @ns/broker-agent public API: every export is listed by name.

export { BrokerAgent } from './broker-agent.js';
export type { BrokerAgentEvents, BrokerAgentState } from './broker-agent.js';

export {
  clampRegisterPeriod,
  defaultHaServerAddr,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_MAX_UNSPLIT_BODY_BYTES,
  DEFAULT_REGISTER_PERIOD_MS,
  DEFAULT_REGISTER_TIMEOUT_MS,
  DEFAULT_REPROBE_MAX_DELAY_MS,
  DEFAULT_SPLIT_REGISTRATION_SIZE,
  DEFAULT_UNREGISTER_TIMEOUT_MS,
  MAX_REGISTER_PERIOD_MS,
  MIN_REGISTER_PERIOD_MS,
  resolveAgentOptions,
} from './options.js';
export type {
  BrokerAgentOptions,
  HeartbeatMode,
  ResolvedAgentOptions,
  SplitRegistrationMode,
} from './options.js';

export type {
  MasterInfo,
  NodeRegistration,
  NodeUnregistration,
  RegistrationReason,
  RegistrationRound,
} from './registration-result.js';
export type { NodeStatus } from './node-session.js';

export { buildRegistrationPayload } from './registration-payload.js';
export type { RegistrationChunk, RegistrationPayload } from './registration-payload.js';
export { chunkDataVersion, planChunks } from './split-plan.js';
export type { SplitPlanInput } from './split-plan.js';

export {
  DEFAULT_TOPIC_QUEUE_NUMS,
  sameTopicConfig,
  toTopicConfig,
  toTopicTable,
} from './topic-config-input.js';
export type { TopicConfigInput, TopicTableInput } from './topic-config-input.js';

export {
  AgentStateError,
  AgentStoppedError,
  BrokerAgentError,
  RoundDeadlineError,
  TopicsFileError,
} from './errors.js';
export type { BrokerAgentErrorCode } from './errors.js';
export { ExpiryTooShortError } from './expiry-check.js';
export type { ResolvedValue } from './expiry-check.js';
