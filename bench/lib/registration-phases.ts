/** The REGISTER_BROKER cases the registration scenario measures (no I/O: the report uses them). */
export const REG_PHASES = [
  'first',
  'unchanged',
  'changed1',
  'changed100',
  'slaveJoin',
  'slaveLeave',
] as const;
export type RegPhase = (typeof REG_PHASES)[number];

/** The phases that are a registration of the master (the registration targets). */
export const MASTER_REG_PHASES: readonly RegPhase[] = [
  'first',
  'unchanged',
  'changed1',
  'changed100',
];

export const REG_PHASE_LABEL: Record<RegPhase, string> = {
  first: 'new broker',
  unchanged: 'same DataVersion',
  changed1: 'changed, 1 % of topics',
  changed100: 'changed, 100 % of topics',
  // Every topic's BrokerData changes, none of its QueueData: the group's address list does.
  slaveJoin: 'a slave joins the group',
  // rtt: until a lookup no longer lists the slave.
  slaveLeave: "the slave's connection closes",
};
