// The Chats tab: the chat list (pinned first, then newest activity) and the open chat. The
// conversations of the official accounts you follow share one "Subscriptions" entry, which opens
// their own list (#/chats/subscriptions, a chat in it #/chats/subscriptions/12).

import { mountArticle } from './article.js';
import { fillIn, h, arrowNavigation, reconcile } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { listTime } from '../ui/format.js';
import { avatar, badge, emptyState, openMenu, toast } from '../ui/widgets.js';
import { previewOf, previewParts } from '../messages/index.js';
import { conversationTitle, isMe, nameOf, sortedConversations, state, subscribe, subscriptions } from '../store.js';
import { markRead, setPrefs } from '../actions.js';
import { humanError } from '../api.js';
import { mountChat } from './chat.js';
import { mountJoinCard } from './invites.js';
import { openAddFriend, openNewGroup } from './dialogs.js';
import { messageSearch } from './search.js';
import { t, tn } from '../i18n.js';

const ctx = { nameOf, isMe };
const pictureOf = (conv) => (conv.kind === 'group' ? conv.avatar : conv.kind === 'official' ? conv.account?.avatar : conv.peer?.avatar) || null;
const SUBSCRIPTIONS = 'subscriptions';

/** The avatar of a conversation: a person's, a group's, an account's. */
export function conversationAvatar(conv, size) {
  const group = conv.kind === 'group';
  const id = group ? conv.id : conv.kind === 'official' ? -(conv.account?.id || conv.id) : conv.peer?.id;
  return avatar(conversationTitle(conv), id, { group, size, picture: pictureOf(conv), official: conv.kind === 'official' });
}

const previewLine = (conv) => previewOf(conv.last_message, ctx, { withSender: conv.kind === 'group' });

function itemSignature(c, selected) {
  return JSON.stringify([conversationTitle(c), c.unread, c.muted, c.pinned, c.last_activity_at, c.id === selected, pictureOf(c), previewLine(c), c.mentioned]);
}

/** The last message in a list: its own direction, the sender's name (in a group) isolated from it. */
function previewNode(conv) {
  // until it is read, a mention of you heads the line (muted or not)
  const flag = conv.mentioned ? h('bdi', { class: 'mention-flag' }, t('[You were mentioned] ')) : null;
  const { sender, text } = previewParts(conv.last_message, ctx, { withSender: conv.kind === 'group' });
  if (!text) return h('span', { class: 'chat-preview' }, flag, conv.kind === 'group' ? t('New group') : conv.kind === 'official' ? t('No messages yet') : t('Say hello'));
  return h('span', { class: 'chat-preview', dir: 'auto' }, flag, sender ? fillIn(t('{sender}: {text}'), { sender: h('bdi', null, sender), text }) : text);
}

/** One conversation in a list: avatar and unread badge, name, time, last message, pin and mute;
 * with `menu(conv, at)`, a "…" shown on hover opens its menu (pin, mute, mark as read). */
function chatItem(conv, selected, href, menu = null) {
  const title = conversationTitle(conv);
  const unread = conv.unread;
  // out of the Tab order: the keyboard has Shift+F10 on the item
  const more = menu
    ? h(
        'button',
        {
          class: 'icon-btn small chat-more',
          type: 'button',
          tabindex: '-1',
          'aria-label': t('{name} options', { name: title }),
          title: t('Pin, mute or mark as read'),
          'aria-haspopup': 'menu',
          onclick: (event) => menu(conv, event.currentTarget),
        },
        icon('more', { size: 18 }),
      )
    : null;
  return h(
    'li',
    { class: 'chat-entry' },
    h(
      'a',
      {
        class: `chat-item${conv.pinned ? ' pinned' : ''}${unread && !conv.muted ? ' unread' : ''}`,
        href,
        'data-id': conv.id,
        'aria-current': conv.id === selected ? 'true' : null,
      },
      h(
        'span',
        { class: 'chat-avatar' },
        conversationAvatar(conv, 44),
        conv.muted && unread ? h('span', { class: 'dot', 'aria-label': tn(unread, '{n} unread, muted', '{n} unread, muted') }) : badge(unread),
      ),
      h(
        'span',
        { class: 'chat-main' },
        h(
          'span',
          { class: 'chat-top' },
          h('span', { class: 'chat-name', dir: 'auto' }, title),
          h('time', { class: 'chat-time' }, listTime(conv.last_message?.created_at || conv.last_activity_at)),
        ),
        h(
          'span',
          { class: 'chat-bottom' },
          previewNode(conv),
          conv.pinned ? icon('pin', { size: 14, label: t('Pinned'), className: 'chat-flag' }) : null,
          conv.muted ? icon('mute', { size: 14, label: t('Muted'), className: 'chat-flag' }) : null,
        ),
      ),
    ),
    more,
  );
}

/** The one entry the followed accounts share: the newest of their messages, and their unread messages. */
function subscriptionsItem(convs) {
  const newest = convs[0];
  const unread = convs.reduce((sum, c) => sum + (c.muted ? 0 : c.unread), 0);
  const preview = newest.last_message ? `${conversationTitle(newest)}: ${previewLine(newest)}` : tn(convs.length, '{n} account', '{n} accounts');
  return {
    key: SUBSCRIPTIONS,
    sig: JSON.stringify([preview, unread, newest.last_activity_at]),
    at: newest.last_message?.created_at || newest.last_activity_at,
    node: () =>
      h(
        'li',
        null,
        h(
          'a',
          { class: `chat-item subscriptions-item${unread ? ' unread' : ''}`, href: `#/chats/${SUBSCRIPTIONS}`, 'data-id': SUBSCRIPTIONS },
          h('span', { class: 'chat-avatar' }, h('span', { class: 'avatar tile official', style: { '--size': '44px' }, 'aria-hidden': 'true' }, icon('megaphone', { size: 22 })), badge(unread, { label: tn(unread, '{n} unread', '{n} unread') })),
          h(
            'span',
            { class: 'chat-main' },
            h('span', { class: 'chat-top' }, h('span', { class: 'chat-name' }, t('Subscriptions')), h('time', { class: 'chat-time' }, listTime(newest.last_message?.created_at || newest.last_activity_at))),
            h('span', { class: 'chat-bottom' }, h('span', { class: 'chat-preview', dir: 'auto' }, preview)),
          ),
        ),
      ),
  };
}

export function mountList(el, route) {
  let mode = null;
  let inner = null;
  const show = (next) => {
    const want = next.path[0] === SUBSCRIPTIONS ? SUBSCRIPTIONS : 'chats';
    if (want === mode) {
      inner.update(next);
      return;
    }
    inner?.destroy();
    mode = want;
    inner = want === SUBSCRIPTIONS ? mountSubscriptionList(el, next) : mountChatList(el, next);
  };
  show(route);
  return { update: show, destroy: () => inner?.destroy() };
}

/** The accounts you follow, each with its conversation. */
function mountSubscriptionList(el, route) {
  let selected = Number(route.path[1]) || null;
  const list = h('ul', { class: 'chat-list', 'aria-label': t('Subscriptions') });
  const empty = h('div', { class: 'list-empty' });
  el.replaceChildren(
    h(
      'header',
      { class: 'pane-header sub-header' },
      h('a', { class: 'icon-btn', href: '#/chats', 'aria-label': t('Back to chats'), title: t('Back to chats') }, icon('back')),
      h('h1', null, t('Subscriptions')),
      h('a', { class: 'icon-btn', href: '#/contacts/accounts', 'aria-label': t('Find official accounts'), title: t('Find official accounts') }, icon('search')),
    ),
    h('div', { class: 'pane-scroll' }, list, empty),
  );
  arrowNavigation(list, 'a.chat-item');

  function render() {
    if (!state.ready) return;
    const convs = subscriptions();
    reconcile(list, convs, (c) => c.id, (c) => itemSignature(c, selected), (c) => chatItem(c, selected, `#/chats/${SUBSCRIPTIONS}/${c.id}`));
    if (convs.length) empty.replaceChildren();
    else {
      empty.replaceChildren(
        emptyState('megaphone', t('No subscriptions'), t('Follow an official account to get its news and talk to its service here.'), h('a', { class: 'btn primary', href: '#/contacts/accounts' }, icon('search', { size: 18 }), t('Find accounts'))),
      );
    }
  }
  const unsubscribe = subscribe(['conversations', 'accounts', 'ready'], render);
  render();
  return {
    update(next) {
      selected = Number(next.path[1]) || null;
      render();
    },
    destroy: unsubscribe,
  };
}

function mountChatList(el, route) {
  let selected = Number(route.path[0]) || null;
  let filter = '';
  const newButton = h(
    'button',
    { class: 'icon-btn', type: 'button', 'aria-label': t('New chat'), title: t('New chat'), 'aria-haspopup': 'menu' },
    icon('plus'),
  );
  newButton.addEventListener('click', () =>
    openMenu(newButton, [
      { label: t('New group'), icon: 'group', action: () => openNewGroup() },
      { label: t('Add friend'), icon: 'userPlus', action: () => openAddFriend() },
    ], { label: t('New chat') }),
  );
  const search = h('input', {
    class: 'search-input',
    type: 'search',
    placeholder: t('Search chats and messages'),
    'aria-label': t('Search chats and messages'),
    autocomplete: 'off',
    oninput: () => {
      filter = search.value.trim().toLocaleLowerCase();
      found.search(search.value);
      render();
    },
    onkeydown: (event) => {
      if (event.key === 'ArrowDown') {
        event.preventDefault();
        list.querySelector('a.chat-item')?.focus();
      }
    },
  });
  const list = h('ul', { class: 'chat-list', 'aria-label': t('Chats') });
  const empty = h('div', { class: 'list-empty' });
  const found = messageSearch(conversationAvatar); // the messages found, under the chats found
  const chatsHeading = h('h2', { class: 'list-heading', hidden: true }, t('Chats'));
  el.replaceChildren(
    h('header', { class: 'pane-header' }, h('h1', null, t('Chats')), newButton),
    h('div', { class: 'search' }, icon('search', { size: 16 }), search),
    h('div', { class: 'pane-scroll' }, chatsHeading, list, empty, found.el),
  );
  arrowNavigation(list, 'a.chat-item');

  function itemMenu(conv, at) {
    openMenu(at, [
      { label: conv.pinned ? t('Unpin') : t('Pin to top'), icon: 'pin', action: () => prefs(conv.id, { pinned: !conv.pinned }) },
      { label: conv.muted ? t('Unmute') : t('Mute'), icon: conv.muted ? 'bell' : 'mute', action: () => prefs(conv.id, { muted: !conv.muted }) },
      ...(conv.unread ? [{ label: t('Mark as read'), icon: 'check', action: () => markRead(conv.id) }] : []),
    ], { label: t('{name} options', { name: conversationTitle(conv) }) });
  }

  list.addEventListener('contextmenu', (event) => {
    const item = event.target.closest('a.chat-item');
    if (!item) return;
    event.preventDefault();
    const conv = state.conversations.get(Number(item.dataset.id));
    if (conv) itemMenu(conv, { x: event.clientX, y: event.clientY });
  });
  // a long press on a touch screen opens the menu too (and then does not open the chat)
  let press = null;
  let pressed = false;
  const endPress = () => {
    if (press) clearTimeout(press.timer);
    press = null;
  };
  list.addEventListener('pointerdown', (event) => {
    const item = event.target.closest('a.chat-item');
    pressed = false;
    if (event.pointerType !== 'touch' || !item) return;
    endPress();
    const { clientX: x, clientY: y } = event;
    press = {
      x, y,
      timer: setTimeout(() => {
        press = null;
        const conv = state.conversations.get(Number(item.dataset.id));
        if (!conv) return;
        pressed = true;
        itemMenu(conv, { x, y });
      }, 550),
    };
  });
  list.addEventListener('pointermove', (event) => {
    if (press && Math.hypot(event.clientX - press.x, event.clientY - press.y) > 10) endPress();
  });
  for (const type of ['pointerup', 'pointercancel']) list.addEventListener(type, endPress);
  list.addEventListener('click', (event) => {
    if (!pressed) return;
    pressed = false;
    event.preventDefault();
  }, true);
  list.addEventListener('keydown', (event) => {
    const item = event.target.closest('a.chat-item');
    if (!item || !(event.key === 'ContextMenu' || (event.key === 'F10' && event.shiftKey))) return;
    event.preventDefault();
    const conv = state.conversations.get(Number(item.dataset.id));
    if (conv) itemMenu(conv, item);
  });

  function render() {
    if (!state.ready) {
      list.replaceChildren(...Array.from({ length: 6 }, () => h('li', { class: 'skeleton-item', 'aria-hidden': 'true' })));
      empty.replaceChildren();
      return;
    }
    if (list.querySelector('.skeleton-item')) list.replaceChildren();
    const convs = sortedConversations().filter(
      (c) =>
        // the accounts you follow share one entry (a search finds each of them)
        (c.kind !== 'official' || (filter && c.account?.following !== false)) &&
        (!filter || conversationTitle(c).toLocaleLowerCase().includes(filter)),
    );
    const items = convs.map((c) => ({ key: c.id, conv: c }));
    const followed = filter ? [] : subscriptions();
    if (followed.length) {
      const entry = subscriptionsItem(followed);
      // among the others by its newest message, below the pinned ones
      const at = items.findIndex(({ conv }) => !conv.pinned && (conv.last_message?.created_at || conv.last_activity_at) < entry.at);
      items.splice(at === -1 ? items.length : at, 0, entry);
    }
    reconcile(
      list,
      items,
      (item) => item.key,
      (item) => (item.conv ? itemSignature(item.conv, selected) : item.sig),
      (item) => (item.conv ? chatItem(item.conv, selected, item.conv.kind === 'official' ? `#/chats/${SUBSCRIPTIONS}/${item.conv.id}` : `#/chats/${item.conv.id}`, itemMenu) : item.node()),
    );
    chatsHeading.hidden = !filter;
    if (items.length) empty.replaceChildren();
    else if (filter) empty.replaceChildren(h('p', { class: 'found-status' }, t('No chat is called “{query}”.', { query: search.value.trim() })));
    else {
      empty.replaceChildren(
        emptyState(
          'chat',
          t('No chats yet'),
          t('Add a friend by their handle, then say hello. Or start a group.'),
          h('button', { class: 'btn primary', type: 'button', onclick: () => openAddFriend() }, icon('userPlus', { size: 18 }), t('Add friend')),
          h('button', { class: 'btn', type: 'button', onclick: () => openNewGroup() }, icon('group', { size: 18 }), t('New group')),
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
    destroy() {
      unsubscribe();
      found.destroy();
    },
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
  if (route.path[0] === 'join') return mountJoinCard(el, route.path[1] || '');
  if (route.path[0] === 'article') return mountArticle(el, route.path[1] || '', Number(route.path[2]) || 0);
  if (route.path[0] === SUBSCRIPTIONS) {
    const id = Number(route.path[1]);
    if (id) return mountChat(el, id);
    el.replaceChildren(
      h('div', { class: 'main-empty' }, emptyState('megaphone', t('Subscriptions'), t('News and services from the official accounts you follow. Pick one to read its messages.'), h('a', { class: 'btn', href: '#/contacts/accounts' }, icon('search', { size: 18 }), t('Find accounts')))),
    );
    return { destroy() {} };
  }
  const id = Number(route.path[0]);
  if (id) return mountChat(el, id);
  el.replaceChildren(
    h('div', { class: 'main-empty' }, emptyState('chat', t('Pick a chat'), t('Your conversations open here. Press Tab to reach the list, then the arrow keys to move through it.'))),
  );
  return { destroy() {} };
}
