/** Runs the built `nsadmin` CLI as a process, to completion. */
import type { CommandResult } from './managed-process.js';
import { runToCompletion } from './managed-process.js';
import { requireBuilt } from './paths.js';
import type { TestScope } from './scope.js';

export async function runNsadmin(
  scope: TestScope,
  args: readonly string[],
  timeoutMs = 20_000,
): Promise<CommandResult> {
  return runToCompletion(
    { name: `nsadmin ${args[0] ?? ''}`, entry: requireBuilt('nsadmin'), args, timeoutMs },
    (p) => {
      scope.adopt(p);
    },
  );
}
