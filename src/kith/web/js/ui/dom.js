// Small DOM helpers: h() builds elements, reconcile() updates a keyed list in place.

const BOOLEAN_PROPS = new Set(['disabled', 'checked', 'hidden', 'value', 'selected', 'readOnly', 'required', 'multiple', 'autofocus']);

/**
 * h('button', {class: 'btn', onclick: fn, 'aria-label': 'Send'}, 'Send')
 * Children may be strings, numbers, nodes, arrays, or null/false (skipped).
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) {
    for (const [key, value] of Object.entries(props)) {
      if (value === undefined || value === null || value === false) {
        if (BOOLEAN_PROPS.has(key) && value === false) el[key] = false;
        continue;
      }
      if (key === 'class') el.className = value;
      else if (key === 'style' && typeof value === 'object') {
        for (const [name, v] of Object.entries(value)) {
          if (name.startsWith('--')) el.style.setProperty(name, String(v));
          else el.style[name] = v;
        }
      }
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key === 'ref') value(el);
      else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
      else if (BOOLEAN_PROPS.has(key)) el[key] = value;
      else el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false || child === true) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/**
 * A translated sentence with elements in it (names as <bdi>, say): fillIn(t('{name} left'), {name: node})
 * gives [node, ' left'] to append. The template's own words become what literal(words, next) makes
 * of them, `next` being the name of the placeholder after them (null at the end).
 */
export function fillIn(template, nodes, literal = (words) => words) {
  const parts = template.split(/(\{\w+\})/);
  return parts
    .map((part, index) => {
      const name = /^\{(\w+)\}$/.exec(part)?.[1];
      if (name && name in nodes) return nodes[name];
      return part ? literal(part, /^\{(\w+)\}$/.exec(parts[index + 1] || '')?.[1] || null) : null;
    })
    .filter((part) => part !== null && part !== '');
}

/** Replace all children of el. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/**
 * Make parent's children match `items`, reusing nodes whose key and signature are unchanged.
 * render(item) returns a fresh node; sig(item) is a string that changes whenever the node must.
 * Keeps keyboard focus on the same logical item when its node is replaced.
 */
export function reconcile(parent, items, key, sig, render) {
  const old = new Map();
  for (const child of parent.children) old.set(child.dataset.key, child);
  const active = document.activeElement;
  let focusedKey = null;
  let focusSelector = null;
  for (const [k, node] of old) {
    if (node.contains(active) && active !== document.body) {
      focusedKey = k;
      if (active === node) focusSelector = null;
      else if (active.dataset.focus) focusSelector = `[data-focus="${active.dataset.focus}"]`;
      else focusSelector = active.tagName.toLowerCase() + (active.classList[0] ? `.${active.classList[0]}` : '');
    }
  }
  const nodes = [];
  for (const item of items) {
    const k = String(key(item));
    const s = sig(item);
    let node = old.get(k);
    if (node && node._sig === s) {
      old.delete(k);
    } else {
      node = render(item);
      node.dataset.key = k;
      node._sig = s;
    }
    nodes.push(node);
  }
  const keep = new Set(nodes);
  for (const child of [...parent.children]) if (!keep.has(child)) child.remove();
  let cursor = parent.firstElementChild;
  for (const node of nodes) {
    if (node === cursor) cursor = cursor.nextElementSibling;
    else parent.insertBefore(node, cursor);
  }
  if (focusedKey !== null && !parent.contains(document.activeElement)) {
    const node = nodes.find((n) => n.dataset.key === focusedKey);
    const target = node && (focusSelector ? node.querySelector(focusSelector) : node);
    if (target) target.focus({ preventScroll: true });
  }
}

/** Move focus among `selector` items inside `container` with the arrow keys, Home and End. */
export function arrowNavigation(container, selector) {
  container.addEventListener('keydown', (event) => {
    if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(event.key)) return;
    if (event.target.matches('input, textarea, select')) return;
    const items = [...container.querySelectorAll(selector)].filter((el) => el.offsetParent !== null);
    if (!items.length) return;
    const index = items.findIndex((el) => el === event.target || el.contains(event.target));
    let next;
    if (event.key === 'Home') next = 0;
    else if (event.key === 'End') next = items.length - 1;
    else if (index === -1) next = 0;
    else next = Math.min(items.length - 1, Math.max(0, index + (event.key === 'ArrowDown' ? 1 : -1)));
    event.preventDefault();
    items[next].focus();
  });
}

export function isDesktop() {
  return window.matchMedia('(min-width: 720px)').matches;
}
