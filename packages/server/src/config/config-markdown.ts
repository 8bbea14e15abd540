/**
 * The README's configuration table, generated from the schema. A test compares the README with
 * this output, so the documentation cannot drift from what `ns-server` accepts
 * (`node scripts/config-doc.mjs` rewrites the README section).
 */
import { describeExpected } from './parse-value.js';
import { CONFIG_KEYS, defaultText, envNameOf, specOf } from './schema.js';

const escapeCell = (s: string): string => s.replaceAll('|', '\\|');

export function formatConfigMarkdown(): string {
  const rows = [
    '| key | default | accepts | live | env | meaning |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const key of CONFIG_KEYS) {
    const spec = specOf(key);
    const def = defaultText(key, { homeDir: '~', env: {} });
    const meaning = [
      spec.description,
      spec.origin === 'nameserver-ts'
        ? '(nameserver-ts)'
        : `(Java ${spec.origin}${spec.javaSince === null ? '' : `, ${spec.javaSince}`})`,
    ].join(' ');
    rows.push(
      `| \`${key}\` | ${def === '' ? '(unset)' : `\`${escapeCell(def)}\``} | ${escapeCell(describeExpected(spec))} | ${spec.live ? 'yes' : spec.protected ? 'never (protected)' : 'no'} | \`${envNameOf(key)}\` | ${escapeCell(meaning)} |`,
    );
  }
  return rows.join('\n') + '\n';
}
