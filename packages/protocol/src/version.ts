/**
 * `version` on the wire is the ordinal of Java's `MQVersion.Version` enum (V3_0_0_SNAPSHOT = 0,
 * a _SNAPSHOT and a release entry per version, HIGHER_VERSION = 612).
 */

/** Ordinal of release V4_x_y: 213 + 20x + 2y. */
export function v4(minor: number, patch: number): number {
  return 213 + 20 * minor + 2 * patch;
}

/** Ordinal of release V5_x_y: 413 + 20x + 2y. */
export function v5(minor: number, patch: number): number {
  return 413 + 20 * minor + 2 * patch;
}

export const Version = {
  V3_0_11: 37,
  /** Sent by ali-ons. */
  V3_4_9: 121,
  V4_0_0: v4(0, 0),
  V4_3_0: v4(3, 0),
  /** Sent by rocketmq-client-go v2. */
  V4_5_2: v4(5, 2),
  V4_9_3: v4(9, 3),
  /** First version whose route bodies use standard JSON. */
  V4_9_4: v4(9, 4),
  V4_9_7: v4(9, 7),
  V5_0_0: v5(0, 0),
  V5_1_0: v5(1, 0),
  V5_1_4: v5(1, 4),
  V5_3_3: v5(3, 3),
  HIGHER_VERSION: 612,
} as const;

/**
 * The default `version` of commands built here: V4_9_7, what our client and broker agent send
 * (the agent registers as a 4.9.7 broker). The server stamps its Java line's version instead
 * (`javaLineVersion`, config `compatibilityLine`).
 */
export const CURRENT_VERSION: number = Version.V4_9_7;
