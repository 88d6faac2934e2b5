// @mentions in a group's composer: typing @ offers the members whose names start so (the arrow
// keys, Enter or Tab pick one, Escape leaves the @ as typed); a pick writes "@Name " and the send
// carries the ids of those still named in the text (docs/sync.md).

import { h } from '../ui/dom.js';
import { avatar } from '../ui/widgets.js';
import { insertAtCaret } from '../ui/emoji.js';
import { isMe, nameOf, state } from '../store.js';
import { t } from '../i18n.js';

const SHOWN = 8; // members offered at once
const MAX_TYPED = 32; // characters after @ still looked up

let lists = 0;

/**
 * Attach to a composer's input. ``members()`` gives the group's members (null while unknown, or in a
 * chat that is not a group); the list opens inside ``container``. Returns {take(text), close()}:
 * take() gives the ids the text still names, and forgets them for the next message.
 */
export function mentionPicker(input, container, members) {
  const id = `mentions-${++lists}`;
  const list = h('ul', { class: 'mention-list', id, role: 'listbox', 'aria-label': t('Members to mention') });
  let open = false;
  let options = [];
  let active = 0;
  let picked = []; // [{id, name}] written into the text by a pick
  let dismissedAt = -1; // the @ whose list Escape closed: not offered again until it changes

  /** The "@query" just before the caret, if one is being typed: {start, query}. */
  function typed() {
    const caret = input.selectionStart;
    if (caret === null || caret !== input.selectionEnd) return null;
    const before = input.value.slice(0, caret);
    const at = before.lastIndexOf('@');
    if (at === -1 || caret - at - 1 > MAX_TYPED) return null;
    if (at > 0 && !/\s/.test(before[at - 1])) return null; // an address, not a mention
    const query = before.slice(at + 1);
    if (/\n/.test(query)) return null;
    return { start: at, query };
  }

  function candidates(query) {
    const all = (members() || []).filter((m) => !isMe(m.user.id) && !m.user.deleted);
    const q = query.toLocaleLowerCase();
    const label = (m) => nameOf(m.user.id);
    const starts = (text) => text.toLocaleLowerCase().startsWith(q) || text.toLocaleLowerCase().split(/\s+/).some((w) => w.startsWith(q));
    return all
      .filter((m) => !q || starts(label(m)) || starts(m.user.display_name) || m.user.handle.toLowerCase().startsWith(q))
      .sort((a, b) => label(a).localeCompare(label(b)))
      .slice(0, SHOWN);
  }

  function close() {
    if (!open) return;
    open = false;
    list.remove();
    input.removeAttribute('aria-activedescendant');
    input.setAttribute('aria-expanded', 'false');
  }

  function draw() {
    list.replaceChildren(
      ...options.map((m, n) =>
        h(
          'li',
          {
            id: `${id}-${n}`,
            class: `mention-option${n === active ? ' active' : ''}`,
            role: 'option',
            'aria-selected': n === active ? 'true' : 'false',
            // pointerdown: before the input would lose its focus and caret
            onpointerdown: (event) => {
              event.preventDefault();
              pick(m);
            },
          },
          avatar(nameOf(m.user.id), m.user.id, { size: 28, picture: state.users.get(m.user.id)?.avatar ?? m.user.avatar }),
          h('span', { class: 'mention-name', dir: 'auto' }, nameOf(m.user.id)),
          h('span', { class: 'mention-handle' }, `@${m.user.handle}`),
        ),
      ),
    );
    input.setAttribute('aria-activedescendant', `${id}-${active}`);
  }

  function update() {
    const at = typed();
    if (!at || at.start === dismissedAt) {
      if (!at) dismissedAt = -1;
      close();
      return;
    }
    options = candidates(at.query);
    if (!options.length) {
      close();
      return;
    }
    active = Math.min(active, options.length - 1);
    if (!open) {
      open = true;
      active = 0;
      container.append(list);
      input.setAttribute('aria-expanded', 'true');
    }
    draw();
  }

  function pick(member) {
    const at = typed();
    if (!at) return;
    const name = member.user.display_name; // the name everyone knows, not a remark of one's own
    input.setSelectionRange(at.start, input.selectionStart);
    picked = [...picked.filter((p) => p.id !== member.user.id), { id: member.user.id, name }];
    close();
    insertAtCaret(input, `@${name} `);
    input.focus();
  }

  input.setAttribute('aria-controls', id);
  input.setAttribute('aria-autocomplete', 'list');
  input.addEventListener('input', update);
  input.addEventListener('click', update);
  input.addEventListener('blur', () => setTimeout(close, 0));
  // before the composer's own keys (Enter sends): registered first, it can keep them
  input.addEventListener('keydown', (event) => {
    if (!open) return;
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      active = (active + (event.key === 'ArrowDown' ? 1 : -1) + options.length) % options.length;
      draw();
    } else if ((event.key === 'Enter' || event.key === 'Tab') && !event.shiftKey && !event.isComposing) {
      pick(options[active]);
    } else if (event.key === 'Escape') {
      dismissedAt = typed()?.start ?? -1;
      close();
    } else return;
    event.preventDefault();
    event.stopImmediatePropagation();
  });
  input.addEventListener('keyup', (event) => {
    if (event.key === 'ArrowLeft' || event.key === 'ArrowRight' || event.key === 'Home' || event.key === 'End') update();
  });

  return {
    take(text) {
      const ids = picked.filter((p) => text.includes(`@${p.name}`)).map((p) => p.id);
      picked = [];
      return ids;
    },
    close,
  };
}
