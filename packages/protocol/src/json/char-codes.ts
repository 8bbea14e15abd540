/**
 * UTF-16 code units of the JSON punctuation the hand-written scanners of the slow paths look at
 * (json-skim.ts, lenient-parse.ts). The per-topic scanners of every registration keep local
 * constants (delta-json-scan.ts, delta-compressed-scan.ts, topic-config-plain-json.ts): those
 * loops run over every byte of every body and stay as they were measured (not re-measured with
 * imports).
 */
export const CH_TAB = 0x09;
export const CH_LF = 0x0a;
export const CH_CR = 0x0d;
export const CH_SPACE = 0x20;
export const CH_DQUOTE = 0x22;
export const CH_SQUOTE = 0x27;
export const CH_PLUS = 0x2b;
export const CH_COMMA = 0x2c;
export const CH_MINUS = 0x2d;
export const CH_DOT = 0x2e;
export const CH_ZERO = 0x30;
export const CH_NINE = 0x39;
export const CH_COLON = 0x3a;
export const CH_LBRACKET = 0x5b;
export const CH_BACKSLASH = 0x5c;
export const CH_RBRACKET = 0x5d;
export const CH_LBRACE = 0x7b;
export const CH_RBRACE = 0x7d;
