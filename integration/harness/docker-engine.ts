/**
 * Whether a Docker engine is reachable, asked the way testcontainers itself finds one (DOCKER_HOST,
 * the socket, Testcontainers config…). The container suite is skipped, loudly, when not.
 */
import { getContainerRuntimeClient } from 'testcontainers';

export type EngineProbe = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export async function probeDockerEngine(timeoutMs = 20_000): Promise<EngineProbe> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      getContainerRuntimeClient(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no answer within ${timeoutMs} ms`));
        }, timeoutMs);
      }),
    ]);
    return { ok: true };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
