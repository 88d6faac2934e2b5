// The Chats tab: the chat list (pinned first, then newest activity) and the open chat.

import { h, arrowNavigation, reconcile } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { listTime } from '../ui/format.js';
import { avatar, badge, emptyState, openMenu, toast } from '../ui/widgets.js';
import { previewOf } from '../messages/index.js';
import { conversationTitle, isMe, nameOf, sortedConversations, state, subscribe } from '../store.js';
import { markRead, setPrefs } from '../actions.js';
import { humanError } from '../api.js';
import { mountChat } from './chat.js';
import { openAddFriend, openNewGroup } from './dialogs.js';

const ctx = { nameOf, isMe };
const pictureOf = (conv) => (conv.kind === 'group' ? conv.avatar : conv.peer?.avatar) || null;

export function mountList(el, route) {
  let selected = Number(route.path[0]) || null;
  let filter = '';
  const newButton = h(
    'button',
    { class: 'icon-btn', type: 'button', 'aria-label': 'New chat', title: 'New chat', 'aria-haspopup': 'menu' },
    icon('plus'),
  );
  newButton.addEventListener('click', () =>
    openMenu(newButton, [
      { label: 'New group', icon: 'group', action: () => openNewGroup() },
      { label: 'Add friend', icon: 'userPlus', action: () => openAddFriend() },
    ], { label: 'New chat' }),
  );
  const search = h('input', {
    class: 'search-input',
    type: 'search',
    placeholder: 'Search chats',
    'aria-label': 'Search chats',
    autocomplete: 'off',
    oninput: () => {
      filter = search.value.trim().toLocaleLowerCase();
      render();
    },
    onkeydown: (event) => {
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        list.querySelector('a.chat-item')?.focus();
      }
    },
  });
  const list = h('ul', { class: 'chat-list', 'aria-label': 'Chats' });
  const empty = h('div', { class: 'list-empty' });
  el.replaceChildren(
    h('header', { class: 'pane-header' }, h('h1', null, 'Chats'), newButton),
    h('div', { class: 'search' }, icon('search', { size: 16 }), search),
    h('div', { class: 'pane-scroll' }, list, empty),
  );
  arrowNavigation(list, 'a.chat-item');

  function itemMenu(conv, at) {
    openMenu(at, [
      { label: conv.pinned ? 'Unpin' : 'Pin to top', icon: 'pin', action: () => prefs(conv.id, { pinned: !conv.pinned }) },
      { label: conv.muted ? 'Unmute' : 'Mute', icon: conv.muted ? 'bell' : 'mute', action: () => prefs(conv.id, { muted: !conv.muted }) },
      ...(conv.unread ? [{ label: 'Mark as read', icon: 'check', action: () => markRead(conv.id) }] : []),
    ], { label: `${conversationTitle(conv)} options` });
  }

  list.addEventListener('contextmenu', (event) => {
    const item = event.target.closest('a.chat-item');
    if (!item) return;
    event.preventDefault();
    const conv = state.conversations.get(Number(item.dataset.id));
    if (conv) itemMenu(conv, { x: event.clientX, y: event.clientY });
  });
  list.addEventListener('keydown', (event) => {
    const item = event.target.closest('a.chat-item');
    if (!item || !(event.key === 'ContextMenu' || (event.key === 'F10' && event.shiftKey))) return;
    event.preventDefault();
    const conv = state.conversations.get(Number(item.dataset.id));
    if (conv) itemMenu(conv, item);
  });

  function renderItem(conv) {
    const title = conversationTitle(conv);
    const preview = previewOf(conv.last_message, ctx, { withSender: conv.kind === 'group' });
    const unread = conv.unread;
    return h(
      'li',
      null,
      h(
        'a',
        {
          class: `chat-item${conv.pinned ? ' pinned' : ''}${unread && !conv.muted ? ' unread' : ''}`,
          href: `#/chats/${conv.id}`,
          'data-id': conv.id,
          'aria-current': conv.id === selected ? 'true' : null,
        },
        h(
          'span',
          { class: 'chat-avatar' },
          avatar(title, conv.kind === 'group' ? conv.id : conv.peer?.id, { group: conv.kind === 'group', size: 44, picture: pictureOf(conv) }),
          conv.muted && unread ? h('span', { class: 'dot', 'aria-label': `${unread} unread, muted` }) : badge(unread),
        ),
        h(
          'span',
          { class: 'chat-main' },
          h(
            'span',
            { class: 'chat-top' },
            h('span', { class: 'chat-name' }, title),
            h('time', { class: 'chat-time' }, listTime(conv.last_message?.created_at || conv.last_activity_at)),
          ),
          h(
            'span',
            { class: 'chat-bottom' },
            h('span', { class: 'chat-preview' }, preview || (conv.kind === 'group' ? 'New group' : 'Say hello')),
            conv.pinned ? icon('pin', { size: 14, label: 'Pinned', className: 'chat-flag' }) : null,
            conv.muted ? icon('mute', { size: 14, label: 'Muted', className: 'chat-flag' }) : null,
          ),
        ),
      ),
    );
  }

  function render() {
    if (!state.ready) {
      list.replaceChildren(...Array.from({ length: 6 }, () => h('li', { class: 'skeleton-item', 'aria-hidden': 'true' })));
      empty.replaceChildren();
      return;
    }
    if (list.querySelector('.skeleton-item')) list.replaceChildren();
    const convs = sortedConversations().filter(
      (c) =>
        // a direct chat nobody has written in yet stays out of the way until it is used
        (c.kind !== 'direct' || c.last_seq > 0 || c.id === selected) &&
        (!filter || conversationTitle(c).toLocaleLowerCase().includes(filter)),
    );
    reconcile(
      list,
      convs,
      (c) => c.id,
      (c) =>
        JSON.stringify([
          conversationTitle(c), c.unread, c.muted, c.pinned, c.last_activity_at, c.id === selected, pictureOf(c),
          previewOf(c.last_message, ctx, { withSender: c.kind === 'group' }),
        ]),
      renderItem,
    );
    if (convs.length) empty.replaceChildren();
    else if (filter) empty.replaceChildren(emptyState('search', 'No chats found', `Nothing matches “${search.value}”.`));
    else {
      empty.replaceChildren(
        emptyState(
          'chat',
          'No chats yet',
          'Add a friend by their handle, then say hello. Or start a group.',
          h('button', { class: 'btn primary', type: 'button', onclick: () => openAddFriend() }, icon('userPlus', { size: 18 }), 'Add friend'),
          h('button', { class: 'btn', type: 'button', onclick: () => openNewGroup() }, icon('group', { size: 18 }), 'New group'),
        ),
      );
    }
  }

  const unsubscribe = subscribe(['conversations', 'users', 'friends', 'ready'], render);
  render();
  return {
    update(next) {
      selected = Number(next.path[0]) || null;
      render();
    },
    destroy: unsubscribe,
  };
}

async function prefs(conversationId, change) {
  try {
    await setPrefs(conversationId, change);
  } catch (error) {
    toast(humanError(error), { kind: 'error' });
  }
}

export function mountMain(el, route) {
  const id = Number(route.path[0]);
  if (id) return mountChat(el, id);
  el.replaceChildren(
    h('div', { class: 'main-empty' }, emptyState('chat', 'Pick a chat', 'Your conversations open here. Press Tab to reach the list, then the arrow keys to move through it.')),
  );
  return { destroy() {} };
}
