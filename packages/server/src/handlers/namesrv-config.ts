/**
 * Remote configuration (§2.2, §6.5): UPDATE_NAMESRV_CONFIG (318) and GET_NAMESRV_CONFIG (319).
 *
 * The update is all or nothing and only touches keys the schema marks live (Engineer C's
 * `applyConfigUpdate`): path keys, rocketmqHome and the black list are refused with NO_PERMISSION,
 * which closes CVE-2023-37582 / CVE-2023-33246. The new config is persisted (E1's
 * `persistConfig`) before it becomes live, so a failed write leaves the old config in force.
 */
import { decodePropertiesBody, RequestCode, ResponseCode } from '@ns/protocol';
import type { RemotingCommand } from '@ns/protocol';
import { applyConfigUpdate, formatJavaConfigProperties } from '../config/index.js';
import type { ConfigKey, NamesrvConfig } from '../config/index.js';
import type { HandlerLogger } from './deps.js';
import type { HandlerTable } from './handler.js';
import type { JavaLineProfile } from './java-line.js';

/** The live config: read per request, replaced by UPDATE_NAMESRV_CONFIG. */
export interface NamesrvConfigHolder {
  get(): NamesrvConfig;
  set(config: NamesrvConfig): void;
}

export interface NamesrvConfigHandlerDeps {
  config: NamesrvConfigHolder;
  line: JavaLineProfile;
  /** Writes the config to configStorePath (`changed`: the keys this update set); throws on failure. */
  persistConfig(config: NamesrvConfig, changed: readonly ConfigKey[]): void;
  logger: HandlerLogger;
}

export function namesrvConfigHandlers(deps: NamesrvConfigHandlerDeps): HandlerTable {
  const { ok, fail } = deps.line.respond;
  function updateNamesrvConfig(request: RemotingCommand): RemotingCommand {
    // Java: no body → SUCCESS, nothing to do.
    if (request.body === null) return ok(request);
    let props: Map<string, string>;
    try {
      props = decodePropertiesBody(request.body);
    } catch (err) {
      // The peer's mistake, and audited: no stack, not at warn (one line per request otherwise).
      deps.logger.debug(
        { reason: err instanceof Error ? err.message : String(err) },
        'UPDATE_NAMESRV_CONFIG body is not properties text',
      );
      return fail(request, ResponseCode.SYSTEM_ERROR, 'string2Properties error');
    }
    const current = deps.config.get();
    const result = applyConfigUpdate(current, props);
    switch (result.kind) {
      case 'denied':
        // The audit record says who and what; this line adds nothing an operator must act on.
        deps.logger.debug(
          { keys: [...props.keys()].slice(0, 10), remark: result.remark },
          'UPDATE_NAMESRV_CONFIG refused',
        );
        return fail(request, ResponseCode.NO_PERMISSION, result.remark);
      case 'invalid':
        return fail(request, ResponseCode.SYSTEM_ERROR, result.remark);
      case 'ok':
        if (result.changedKeys.length > 0) {
          deps.persistConfig(result.config, result.changedKeys);
          deps.config.set(result.config);
          deps.logger.info({ changedKeys: result.changedKeys }, 'config updated');
        }
        return ok(request);
    }
  }

  return [[RequestCode.UPDATE_NAMESRV_CONFIG, updateNamesrvConfig]];
}

/** GET_NAMESRV_CONFIG: a read, answered where it arrives. */
export function namesrvConfigReadHandlers(deps: {
  config: () => NamesrvConfig;
  line: JavaLineProfile;
}): HandlerTable {
  const { ok } = deps.line.respond;
  function getNamesrvConfig(request: RemotingCommand): RemotingCommand {
    return ok(request, Buffer.from(formatJavaConfigProperties(deps.config()), 'utf8'));
  }
  return [[RequestCode.GET_NAMESRV_CONFIG, getNamesrvConfig]];
}
