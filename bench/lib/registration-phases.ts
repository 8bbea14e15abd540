/** The REGISTER_BROKER cases the registration scenario measures (no I/O: the report uses them). */
export const REG_PHASES = ['first', 'unchanged', 'changed1', 'changed100'] as const;
export type RegPhase = (typeof REG_PHASES)[number];

export const REG_PHASE_LABEL: Record<RegPhase, string> = {
  first: 'new broker',
  unchanged: 'same DataVersion',
  changed1: 'changed, 1 % of topics',
  changed100: 'changed, 100 % of topics',
};
