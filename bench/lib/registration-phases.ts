/**
 * The cases the registration scenario measures (no I/O: the report uses them): REGISTER_BROKER
 * of the master, then a slave, then an operator's write-permission change of the broker name
 * (WIPE / ADD_WRITE_PERM_OF_BROKER: every topic's QueueData rewritten, as a registration of all
 * of them changed would).
 */
export const REG_PHASES = [
  'first',
  'unchanged',
  'changed1',
  'changed100',
  'renamed1',
  'slaveJoin',
  'slaveLeave',
  'wipePerm',
  'addPerm',
] as const;
export type RegPhase = (typeof REG_PHASES)[number];

/** The phases that are a registration of the master (the registration targets). */
export const MASTER_REG_PHASES: readonly RegPhase[] = [
  'first',
  'unchanged',
  'changed1',
  'changed100',
  'renamed1',
];

export const REG_PHASE_LABEL: Record<RegPhase, string> = {
  first: 'new broker',
  unchanged: 'same DataVersion',
  changed1: 'changed, 1 % of topics',
  // Topics come and go (a new topic, a deleted one): the kept table is rebuilt in body order.
  renamed1: '1 % of topics replaced by new ones',
  changed100: 'changed, 100 % of topics',
  // Every topic's BrokerData changes, none of its QueueData: the group's address list does.
  slaveJoin: 'a slave joins the group',
  // rtt: until a lookup no longer lists the slave.
  slaveLeave: "the slave's connection closes",
  wipePerm: 'WIPE_WRITE_PERM of the broker name',
  addPerm: 'ADD_WRITE_PERM of the broker name',
};
