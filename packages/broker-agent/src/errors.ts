/**
 * Errors of @ns/broker-agent. Transport and response failures are @ns/client errors
 * (RemotingConnectError, RemotingTimeoutError, ResponseError, … with `retriable`); the classes
 * here cover what only the agent can say. Each has a stable `code`.
 */

export type BrokerAgentErrorCode =
  'NS_AGENT_STOPPED' | 'NS_AGENT_STATE' | 'NS_AGENT_ROUND_DEADLINE' | 'NS_AGENT_TOPICS_FILE';

export class BrokerAgentError extends Error {
  override name = 'BrokerAgentError';
  readonly code: BrokerAgentErrorCode;
  /** Whether trying again later can help. */
  readonly retriable: boolean;
  constructor(
    code: BrokerAgentErrorCode,
    message: string,
    options: ErrorOptions & { readonly retriable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

/** The agent was stopped while (or before) the operation ran. */
export class AgentStoppedError extends BrokerAgentError {
  override name = 'AgentStoppedError';
  constructor(message = 'broker agent is stopped') {
    super('NS_AGENT_STOPPED', message);
  }
}

/** A method was called in a lifecycle state that does not allow it (e.g. start() twice). */
export class AgentStateError extends BrokerAgentError {
  override name = 'AgentStateError';
  constructor(message: string) {
    super('NS_AGENT_STATE', message);
  }
}

/**
 * The round's deadline (the request timeout, as Java waits on its latch) passed before a node
 * could even be asked. When an attempt was made, the round fails with that attempt's error
 * instead (it says why: refused, timed out, an error code).
 */
export class RoundDeadlineError extends BrokerAgentError {
  override name = 'RoundDeadlineError';
  readonly addr: string;
  constructor(addr: string, deadlineMs: number, options: ErrorOptions = {}) {
    super('NS_AGENT_ROUND_DEADLINE', `${addr}: no successful answer within ${deadlineMs} ms`, {
      ...options,
      retriable: true,
    });
    this.addr = addr;
  }
}

/** A topics file (JSON or .properties) could not be read or parsed; `path` names it. */
export class TopicsFileError extends BrokerAgentError {
  override name = 'TopicsFileError';
  readonly path: string;
  constructor(path: string, message: string, options: ErrorOptions = {}) {
    super('NS_AGENT_TOPICS_FILE', `${path}: ${message}`, options);
    this.path = path;
  }
}
