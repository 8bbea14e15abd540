/**
 * Bounded per-stream line buffer: every process's stdout and stderr are kept so a failed test can
 * print them, without letting a chatty process grow memory without limit.
 */
export class LogBuffer {
  readonly #lines: string[] = [];
  #partial = '';
  #dropped = 0;

  constructor(private readonly maxLines = 4000) {}

  /** Feed a raw chunk; complete lines are stored, a trailing partial line waits for the rest. */
  push(chunk: string): string[] {
    const text = this.#partial + chunk;
    const parts = text.split('\n');
    this.#partial = parts.pop() ?? '';
    for (const line of parts) this.#store(line);
    return parts;
  }

  /** Stores whatever partial line is left (the stream ended). */
  end(): void {
    if (this.#partial !== '') this.#store(this.#partial);
    this.#partial = '';
  }

  lines(): readonly string[] {
    return this.#partial === '' ? this.#lines : [...this.#lines, this.#partial];
  }

  text(): string {
    const head = this.#dropped > 0 ? [`… ${this.#dropped} earlier lines dropped`] : [];
    return [...head, ...this.lines()].join('\n');
  }

  #store(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > this.maxLines) {
      this.#lines.shift();
      this.#dropped += 1;
    }
  }
}
