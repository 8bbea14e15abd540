/**
 * A few DOM helpers instead of a framework. Text always goes in as text nodes (never innerHTML),
 * so a topic or broker named `<script>` is shown, not run.
 */

export type Child = Node | string | number | null | undefined | false;
type AttrValue = string | number | boolean | null | undefined | ((event: Event) => void);

/** `h('a', { href: '#/topics', class: 'nav' }, 'Topics')`; `on…` keys add listeners. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Readonly<Record<string, AttrValue>> | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (typeof value === 'function') {
        el.addEventListener(name.slice(2).toLowerCase(), value);
      } else if (value === true) {
        el.setAttribute(name, '');
      } else if (value !== false && value !== null && value !== undefined) {
        el.setAttribute(name, String(value));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: readonly Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** Replaces every child of `el`. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

/** A table with a header row; `rows` cells may be nodes or text. */
export function table(
  headers: readonly string[],
  rows: readonly (readonly Child[])[],
  attrs?: Readonly<Record<string, AttrValue>>,
): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      attrs ?? null,
      h('thead', null, h('tr', null, ...headers.map((t) => h('th', null, t)))),
      h(
        'tbody',
        null,
        ...rows.map((cells) => h('tr', null, ...cells.map((c) => h('td', null, c)))),
      ),
    ),
  );
}

/**
 * What `draw` returns, or `fallback` with the error's text if it throws: one row drawn from odd
 * data a node passes on (a broker's own values) is shown as unreadable on its own, instead of
 * taking every other row, and the page, with it.
 */
export function guard<T>(draw: () => T, fallback: (message: string) => T): T {
  try {
    return draw();
  } catch (err) {
    return fallback(err instanceof Error ? err.message : String(err));
  }
}

/** The text a guarded row shows in place of what it could not draw. */
export function drawError(what: string, message: string): HTMLElement {
  return h('span', { class: 'status error', 'data-draw-error': '' }, `${what}: ${message}`);
}
