/** Small DOM helpers for the page. */

/**
 * `parent.append(...children)`, which this repository's one typecheck cannot call: the Workers
 * types it also loads declare an `Element` (HTMLRewriter's) whose `append` hides the DOM's.
 */
export function appendAll(parent: Node, children: ReadonlyArray<Node | string>): void {
  for (const child of children) {
    parent.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** A new element with an optional class and text. */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
