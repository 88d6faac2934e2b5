// Shared pieces of interface: avatars, dialogs, menus, toasts, empty states, form fields.

import { h } from './dom.js';
import { icon } from './icons.js';
import { cachedMediaUrl, humanError, mediaUrl } from '../api.js';
import { t } from '../i18n.js';

// ---- avatars ----------------------------------------------------------------------------------

export function initials(name) {
  const words = String(name || '?').trim().split(/\s+/).filter(Boolean);
  if (!words.length) return '?';
  const letters = words.length === 1 ? [...words[0]].slice(0, 2) : [[...words[0]][0], [...words[words.length - 1]][0]];
  return letters.join('').toUpperCase();
}

/**
 * A coloured circle with initials (the colour is stable per id), or the person's or group's picture
 * when `picture` (an avatar's media id) is given: the initials show until it has loaded.
 */
export function avatar(name, id, { size = 40, group = false, official = false, picture = null } = {}) {
  const hue = (Math.abs(Number(id || 0)) * 137 + (group ? 200 : 20)) % 360;
  const el = h(
    'span',
    { class: `avatar${group ? ' group' : ''}${official ? ' official' : ''}`, style: { '--hue': hue, '--size': `${size}px` }, 'aria-hidden': 'true' },
    group ? icon('group', { size: Math.round(size * 0.5) }) : initials(name),
  );
  if (picture) {
    const img = h('img', { class: 'avatar-img', alt: '', decoding: 'async', draggable: 'false' });
    const show = (url) => {
      img.src = url;
      el.append(img);
      el.classList.add('has-picture');
    };
    const known = cachedMediaUrl(picture, { thumbnail: true });
    if (known) show(known);
    else mediaUrl(picture, { thumbnail: true }).then(show, () => {}); // unavailable: the initials stay
  }
  return el;
}

/**
 * A picture with Set and Remove beside it (your avatar here, a group's in its info). set(file) and
 * remove() do the work; draw(size) draws the avatar as it is now.
 */
export function avatarPicker({ current, draw, setLabel, removeLabel, set, remove, setDone, removeDone }) {
  const input = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/webp,image/gif', hidden: true, 'aria-label': setLabel });
  const shown = h('span', { class: 'avatar-picker-face' });
  const setButton = h('button', { class: 'btn small', type: 'button', 'data-focus': 'set-avatar', onclick: () => input.click() }, icon('camera', { size: 16 }), setLabel);
  const removeButton = h('button', {
    class: 'btn small danger',
    type: 'button',
    'aria-label': removeLabel,
    'data-focus': 'remove-avatar',
    onclick: async () => {
      try {
        await busy(removeButton, t('Removing…'), () => remove());
        toast(removeDone);
      } catch (error) {
        toast(humanError(error), { kind: 'error' });
      }
    },
  }, t('Remove'));
  input.addEventListener('change', async () => {
    const file = input.files[0];
    input.value = '';
    if (!file) return;
    try {
      await busy(setButton, t('Uploading…'), () => set(file));
      toast(setDone);
    } catch (error) {
      toast(humanError(error), { kind: 'error' });
    }
  });
  const el = h('div', { class: 'avatar-picker' }, shown, h('div', { class: 'avatar-picker-actions' }, setButton, removeButton), input);
  function render() {
    removeButton.hidden = !current();
    shown.replaceChildren(draw(72));
  }
  render();
  return { el, render };
}

// ---- toasts -----------------------------------------------------------------------------------

export function toast(message, { kind = 'info', timeout = 4000 } = {}) {
  const host = document.getElementById('toasts');
  const node = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, message);
  host.append(node);
  setTimeout(() => {
    node.classList.add('leaving');
    setTimeout(() => node.remove(), 250);
  }, timeout);
}

// ---- dialogs ----------------------------------------------------------------------------------

/**
 * A modal dialog (native <dialog>: Escape closes it, focus stays inside).
 * content: a node, or a function (close) -> node. Returns {close, el}.
 */
export function openDialog({ title, content, className = '', onClose = null, labelledBy = null }) {
  const previous = document.activeElement;
  const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
  const dialog = h('dialog', { class: `dialog ${className}`, 'aria-labelledby': labelledBy || titleId });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    dialog.close();
    dialog.remove();
    if (onClose) onClose();
    if (previous && previous.isConnected) previous.focus({ preventScroll: true });
  };
  const header = h(
    'header',
    { class: 'dialog-header' },
    h('h2', { id: titleId }, title),
    h('button', { class: 'icon-btn', type: 'button', 'aria-label': t('Close'), onclick: close }, icon('close')),
  );
  const body = h('div', { class: 'dialog-body' }, typeof content === 'function' ? content(close) : content);
  dialog.append(header, body);
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault();
    close();
  });
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) close(); // a click on the backdrop
  });
  document.body.append(dialog);
  dialog.showModal();
  const first = body.querySelector('[autofocus]') || body.querySelector('input, textarea, button:not([disabled])');
  if (first) first.focus();
  return { close, el: dialog };
}

/** Ask a yes/no question; resolves true when confirmed. */
export function confirmDialog(question, { detail = '', confirm = t('OK'), danger = false } = {}) {
  return new Promise((resolve) => {
    let answer = false;
    openDialog({
      title: question,
      className: 'confirm',
      onClose: () => resolve(answer),
      content: (close) =>
        h(
          'div',
          null,
          detail ? h('p', { class: 'muted' }, detail) : null,
          h(
            'div',
            { class: 'dialog-actions' },
            // the safe choice has the focus when the other one cannot be undone
            h('button', { class: 'btn', type: 'button', autofocus: danger, onclick: close }, t('Cancel')),
            h(
              'button',
              {
                class: `btn ${danger ? 'danger' : 'primary'}`,
                type: 'button',
                autofocus: !danger,
                onclick: () => {
                  answer = true;
                  close();
                },
              },
              confirm,
            ),
          ),
        ),
    });
  });
}

// ---- menus ------------------------------------------------------------------------------------

/**
 * A small popup menu at an element or a point. items: [{label, icon, action, danger, href}]
 * Arrow keys move, Enter picks, Escape closes and returns focus.
 */
export function openMenu(at, items, { label = t('Actions') } = {}) {
  document.querySelector('.menu')?._close?.();
  const previous = document.activeElement;
  const menu = h('div', { class: 'menu', role: 'menu', 'aria-label': label });
  const close = () => {
    menu.remove();
    document.removeEventListener('pointerdown', outside, true);
    window.removeEventListener('resize', close);
    if (previous && previous.isConnected) previous.focus({ preventScroll: true });
  };
  menu._close = close;
  const outside = (event) => {
    if (!menu.contains(event.target)) close();
  };
  for (const item of items) {
    // an item with an href is a link to another site, opened in a new tab (its action runs too)
    const link = item.href ? { href: item.href, target: '_blank', rel: 'noopener noreferrer' } : { type: 'button' };
    menu.append(
      h(
        item.href ? 'a' : 'button',
        {
          class: `menu-item${item.danger ? ' danger' : ''}`,
          ...link,
          role: 'menuitem',
          tabindex: '-1',
          onclick: () => {
            close();
            item.action?.();
          },
        },
        item.icon ? icon(item.icon, { size: 18 }) : null,
        h('span', null, item.label),
      ),
    );
  }
  menu.addEventListener('keydown', (event) => {
    const buttons = [...menu.querySelectorAll('.menu-item')];
    const index = buttons.indexOf(document.activeElement);
    if (event.key === 'Escape' || event.key === 'Tab') {
      event.preventDefault();
      close();
    } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      const next = (index + (event.key === 'ArrowDown' ? 1 : -1) + buttons.length) % buttons.length;
      buttons[next].focus();
    }
  });
  document.body.append(menu);
  const rect = at instanceof Element ? at.getBoundingClientRect() : { left: at.x, right: at.x, top: at.y, bottom: at.y };
  const width = menu.offsetWidth;
  const height = menu.offsetHeight;
  const left = Math.min(Math.max(8, rect.right - width), window.innerWidth - width - 8);
  const top = rect.bottom + height + 8 > window.innerHeight ? Math.max(8, rect.top - height - 4) : rect.bottom + 4;
  menu.style.left = `${at instanceof Element ? left : Math.min(rect.left, window.innerWidth - width - 8)}px`;
  menu.style.top = `${top}px`;
  document.addEventListener('pointerdown', outside, true);
  window.addEventListener('resize', close);
  menu.querySelector('.menu-item')?.focus();
  return close;
}

// ---- small building blocks --------------------------------------------------------------------

export function emptyState(iconName, title, text, ...actions) {
  return h(
    'div',
    { class: 'empty' },
    h('div', { class: 'empty-icon' }, icon(iconName, { size: 32 })),
    h('h3', null, title),
    text ? h('p', null, text) : null,
    actions.length ? h('div', { class: 'empty-actions' }, actions) : null,
  );
}

let fieldIds = 0;

/** A labelled input with room for an error message beneath it (so nothing shifts when one appears). */
export function field(label, inputProps, { hint = '' } = {}) {
  const id = `f${++fieldIds}`;
  const input = h(inputProps.multiline ? 'textarea' : 'input', {
    id,
    class: 'input',
    'aria-describedby': `${id}-msg`,
    ...inputProps,
    multiline: null,
  });
  const message = h('div', { class: 'field-msg', id: `${id}-msg` }, hint);
  const wrap = h('div', { class: 'field' }, h('label', { for: id }, label), input, message);
  wrap.input = input;
  wrap.setError = (text) => {
    message.textContent = text || hint;
    message.classList.toggle('error', Boolean(text));
    if (text) input.setAttribute('aria-invalid', 'true');
    else input.removeAttribute('aria-invalid');
  };
  input.addEventListener('input', () => wrap.setError(''));
  return wrap;
}

/**
 * Disable a button while an async action runs, with a spinner in place of its label (so the
 * button keeps its size); busyLabel is what screen readers hear meanwhile. Returns fn's result.
 */
export async function busy(button, busyLabel, fn) {
  const label = button.getAttribute('aria-label');
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  if (busyLabel) button.setAttribute('aria-label', busyLabel);
  try {
    return await fn();
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    if (label === null) button.removeAttribute('aria-label');
    else button.setAttribute('aria-label', label);
  }
}

export function badge(count, { muted = false, label = '' } = {}) {
  if (!count) return null;
  return h('span', { class: `badge${muted ? ' muted' : ''}`, 'aria-label': label || t('{n} unread', { n: count }) }, count > 99 ? '99+' : String(count));
}

/** Put text on the clipboard; says so in a toast. */
export async function copyText(text, done = t('Copied.')) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // no clipboard permission: the old way, through a selected, hidden field
    const area = h('textarea', { class: 'sr-only', 'aria-hidden': 'true' });
    area.value = text;
    document.body.append(area);
    area.select();
    const ok = document.execCommand('copy');
    area.remove();
    if (!ok) {
      toast(t('Could not copy. Select the text and copy it yourself.'), { kind: 'error' });
      return;
    }
  }
  toast(done);
}

/** A value to read and copy: its label, the value in monospace, and a Copy button. */
export function copyField(label, value, { secret = false } = {}) {
  return h(
    'div',
    { class: `copy-field${secret ? ' secret' : ''}` },
    h('span', { class: 'copy-label' }, label),
    h('code', { class: 'copy-value' }, value || '—'),
    value
      ? h('button', { class: 'icon-btn small', type: 'button', 'aria-label': t('Copy {label}', { label }), title: t('Copy'), onclick: () => copyText(value, t('{label} copied.', { label })) }, icon('copy', { size: 16 }))
      : null,
  );
}
