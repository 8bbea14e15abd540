/**
 * The live configuration: read by handlers on every request, replaced as a whole (frozen objects)
 * by UPDATE_NAMESRV_CONFIG. Listeners apply the few keys that need an action when they change
 * (e.g. `logLevel`); everything else is read where it is used.
 */
import type { ConfigKey, NamesrvConfig } from './config/index.js';

export type ConfigChangeListener = (
  next: NamesrvConfig,
  previous: NamesrvConfig,
  changedKeys: readonly ConfigKey[],
) => void;

export class ConfigHolder {
  private current: NamesrvConfig;
  private readonly listeners = new Set<ConfigChangeListener>();

  constructor(initial: NamesrvConfig) {
    this.current = initial;
  }

  get(): NamesrvConfig {
    return this.current;
  }

  set(next: NamesrvConfig): void {
    const previous = this.current;
    if (next === previous) return;
    this.current = next;
    const changed = (Object.keys(next) as ConfigKey[]).filter((k) => next[k] !== previous[k]);
    for (const listener of this.listeners) listener(next, previous, changed);
  }

  /** Returns the unsubscribe function. */
  onChange(listener: ConfigChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
