/**
 * The Java NameServer release line a node reproduces where 4.9 and 5.x answer the same input
 * differently: the `version` it stamps, the collection types its tables and lists are built from
 * (hence the order of lists and maps), remarks, and the GET_NAMESRV_CONFIG key set. Checked
 * against real 4.9.7 and 5.3.3 captures.
 */
import { Version } from './version.js';

export type JavaLine = '4.9' | '5.x';

/** Every line, the current one first. */
export const JAVA_LINES: readonly JavaLine[] = Object.freeze(['5.x', '4.9']);

/** The `version` a NameServer of `line` writes in what it sends (its MQVersion.CURRENT_VERSION). */
export function javaLineVersion(line: JavaLine): number {
  return line === '4.9' ? Version.V4_9_7 : Version.V5_3_3;
}
