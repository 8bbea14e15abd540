/**
 * The op log that keeps serving workers' copies identical to the registry owner's state: one flat
 * array per write, holding route edits (codes 1–99, route/route-ops.ts), KV edits (100–199,
 * kvconfig/kv-config-manager.ts) and config replacements (200), in the order they were made.
 */
import type { NamesrvConfig } from '../config/index.js';
import { KV_OP_WIDTH } from '../kvconfig/index.js';
import { ROUTE_OP_WIDTH } from '../route/index.js';
import type { OpCode } from '../route/index.js';

/** [CONFIG, the whole new NamesrvConfig] */
export const CONFIG_OP = 200;

const ROUTE_OP_MAX = 99;
const KV_OP_MAX = 199;

export type OpKind = 'route' | 'kv' | 'config';

export function opKind(code: number): OpKind {
  if (code <= ROUTE_OP_MAX) return 'route';
  if (code <= KV_OP_MAX) return 'kv';
  if (code === CONFIG_OP) return 'config';
  throw new Error(`unknown op code ${code}`);
}

/** Array entries taken by the op starting at `ops[i]`. */
export function opWidth(ops: readonly unknown[], i: number): number {
  const code = ops[i] as number;
  const kind = opKind(code);
  if (kind === 'route') return ROUTE_OP_WIDTH[code as OpCode];
  if (kind === 'kv') return KV_OP_WIDTH[code]!;
  return 2;
}

/** Whether every op of `ops` is a route edit (no KV edit, no config replacement). */
export function onlyRouteOps(ops: readonly unknown[]): boolean {
  for (let i = 0; i < ops.length; i += opWidth(ops, i)) {
    if (opKind(ops[i] as number) !== 'route') return false;
  }
  return true;
}

/** Whether `ops` holds edits and every one is a KV edit (no route edit, no config replacement). */
export function onlyKvOps(ops: readonly unknown[]): boolean {
  if (ops.length === 0) return false;
  for (let i = 0; i < ops.length; i += opWidth(ops, i)) {
    if (opKind(ops[i] as number) !== 'kv') return false;
  }
  return true;
}

/** The KV ops of a batch, in order, as their own flat array (empty when there are none). */
export function kvOpsOf(ops: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (let i = 0; i < ops.length;) {
    const w = opWidth(ops, i);
    if (opKind(ops[i] as number) === 'kv') for (let j = i; j < i + w; j++) out.push(ops[j]);
    i += w;
  }
  return out;
}

export function configOp(config: NamesrvConfig): unknown[] {
  return [CONFIG_OP, config];
}
