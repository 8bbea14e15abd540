/**
 * The status line of a live view. While the node answers it says when it last did; once reads
 * fail it says for how long, and that the page still shows the last answer: a hung node (its
 * connections open, nothing coming back) must not look live with frozen numbers.
 */
import { ApiError, errorText } from './api.js';
import { replace } from './dom.js';
import { formatAge } from './format.js';

export interface LiveStatus {
  /** The node answered: `text` says what is shown. */
  ok(text: string): void;
  /** A read failed: the last answer stays on the page, marked stale from its time. */
  failed(err: unknown, what?: string): void;
  /** Neither fresh nor failed (e.g. waiting for the node's turn): `text` says why. */
  note(text: string): void;
  /** Whether the node has answered since the view opened. */
  readonly answered: boolean;
}

export function liveStatus(el: HTMLElement): LiveStatus {
  let lastOk: number | null = null;
  const set = (cls: string, text: string): void => {
    replace(el, text);
    el.className = cls;
  };
  return {
    ok(text) {
      lastOk = Date.now();
      set('status', text);
      delete el.dataset.stale;
    },
    failed(err, what = 'Cannot read the node') {
      if (lastOk === null) {
        set('status error', `${what}: ${errorText(err)}`);
        return;
      }
      // An error status is an answer, just not a usable one; anything else is silence.
      const answered = err instanceof ApiError && err.status !== 0;
      const age = formatAge(Date.now() - lastOk);
      set(
        'status error',
        `${answered ? 'No usable answer' : 'No answer'} for ${age} (${errorText(err)}) · showing what the node said at ${new Date(lastOk).toLocaleTimeString()}`,
      );
      el.dataset.stale = '';
    },
    note(text) {
      set('status', text);
    },
    get answered() {
      return lastOk !== null;
    },
  };
}
