/**
 * What the handlers answer differently depending on the Java line the node reproduces
 * (`compatibilityLine`). Resolved once when the Dispatcher is built, so no request pays for the
 * choice; the list and table orders of each line live in java-order.ts, the route tables'
 * in the RouteInfoManager.
 */
import { javaLineVersion } from '@ns/protocol';
import type { JavaLine } from '@ns/protocol';
import { responders } from './responses.js';
import type { Responders } from './responses.js';

export interface JavaLineProfile {
  readonly line: JavaLine;
  /** Stamped on every response and on requests the node sends (Java's MQVersion.CURRENT_VERSION). */
  readonly version: number;
  /** Response builders stamping `version`. */
  readonly respond: Responders;
  /** `FAQUrl.suggestTodo(APPLY_TOPIC_URL)`: the end of a TOPIC_NOT_EXIST remark. */
  readonly topicNotExistSuffix: string;
}

const TOPIC_NOT_EXIST_SUFFIX: Readonly<Record<JavaLine, string>> = {
  // 4.9.x and 5.0.0 (fixture get-route-missing of 4.9.7).
  '4.9': '\nSee http://rocketmq.apache.org/docs/faq/ for further details.',
  // 5.3.3 (fixture get-route-missing of 5.3.3).
  '5.x': '\nSee https://rocketmq.apache.org/docs/bestPractice/06FAQ for further details.',
};

export function javaLineProfile(line: JavaLine): JavaLineProfile {
  const version = javaLineVersion(line);
  return Object.freeze({
    line,
    version,
    respond: responders(version),
    topicNotExistSuffix: TOPIC_NOT_EXIST_SUFFIX[line],
  });
}
