/** Java `LanguageCode`: the enum name travels in JSON headers, the byte in ROCKETMQ headers. */
export const LanguageCode = {
  JAVA: 0,
  CPP: 1,
  DOTNET: 2,
  PYTHON: 3,
  DELPHI: 4,
  ERLANG: 5,
  RUBY: 6,
  OTHER: 7,
  HTTP: 8,
  GO: 9,
  PHP: 10,
  OMS: 11,
  RUST: 12,
  /** Only known to 5.3.2+ servers; send JAVA or OTHER to older ones. */
  NODE_JS: 13,
} as const;

export type LanguageName = keyof typeof LanguageCode;

const BY_BYTE: readonly LanguageName[] = Object.keys(LanguageCode) as LanguageName[];
const BY_UPPER = new Map<string, LanguageName>(BY_BYTE.map((n) => [n, n]));

export function languageFromByte(b: number): LanguageName | null {
  return BY_BYTE[b] ?? null;
}

export function languageToByte(name: LanguageName | null): number {
  // Java writes the ordinal of a null language as 0 (JAVA) only by accident; we never send null.
  return name === null ? LanguageCode.JAVA : LanguageCode[name];
}

/**
 * Java's lenient enum read: exact name, then case-insensitive, then an integer ordinal; anything
 * else silently becomes null (fastjson does not fail on an unknown enum name).
 */
export function languageFromJson(v: unknown): LanguageName | null {
  if (typeof v === 'number') return Number.isInteger(v) ? languageFromByte(v) : null;
  if (typeof v !== 'string') return null;
  return BY_UPPER.get(v) ?? BY_UPPER.get(v.toUpperCase()) ?? null;
}
