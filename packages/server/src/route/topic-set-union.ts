/**
 * Several topic sets read as one (the route-change feed: `RouteTables.flushChanges`). A change of
 * a broker name's group reaches every topic of that name; handing over the name's own topic set
 * costs nothing, where adding 50,000 topics one by one to the change set held the event loop for
 * milliseconds.
 *
 * A topic in more than one part is counted and iterated once per part: every listener of the
 * feed treats a topic named twice as named once (invalidating, versioning and re-folding a topic
 * are all idempotent). A part may be a broker name's live topic set, which later edits change:
 * topics added to it afterwards are then also treated as changed (harmless), and a topic removed
 * from it afterwards was named by its own removal too.
 */
export class TopicSetUnion implements ReadonlySet<string> {
  constructor(private readonly parts: readonly ReadonlySet<string>[]) {}

  /** The sum of the parts' sizes (a topic in two parts counts twice). */
  get size(): number {
    let n = 0;
    for (const part of this.parts) n += part.size;
    return n;
  }

  has(topic: string): boolean {
    for (const part of this.parts) if (part.has(topic)) return true;
    return false;
  }

  *[Symbol.iterator](): SetIterator<string> {
    for (const part of this.parts) yield* part;
  }

  values(): SetIterator<string> {
    return this[Symbol.iterator]();
  }

  keys(): SetIterator<string> {
    return this[Symbol.iterator]();
  }

  *entries(): SetIterator<[string, string]> {
    for (const topic of this) yield [topic, topic];
  }

  forEach(
    callback: (value: string, key: string, set: ReadonlySet<string>) => void,
    thisArg?: unknown,
  ): void {
    for (const topic of this) callback.call(thisArg, topic, topic, this);
  }
}
