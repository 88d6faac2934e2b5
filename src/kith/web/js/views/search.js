// Messages found by the search box of Chats (GET /search/messages, docs/search.md): shown as one
// types (after a short pause), what matched marked, 20 a page with More; a tap opens the chat there.

import { arrowNavigation, fillIn, h } from '../ui/dom.js';
import { listTime } from '../ui/format.js';
import { highlighted, searchable } from '../ui/highlight.js';
import { get, humanError } from '../api.js';
import { conversationTitle, isMe, nameOf, state } from '../store.js';
import { openMessage } from './chat.js';
import { t } from '../i18n.js';

const PAUSE_MS = 250; // typing pauses this long before a search goes out
const MAX_QUERY = 100; // characters (the server's limit)

/**
 * The "Messages" part of the search results. ``avatarOf(conv, size)`` draws a conversation's avatar.
 * Returns {el, search(query), destroy()}; an empty query hides it.
 */
export function messageSearch(avatarOf) {
  const heading = h('h2', { class: 'list-heading', id: 'found-messages' }, t('Messages'));
  const list = h('ul', { class: 'chat-list found-list', 'aria-labelledby': 'found-messages' });
  const status = h('div', { class: 'found-status', role: 'status' });
  const more = h('button', { class: 'btn small found-more', type: 'button', hidden: true }, t('More messages'));
  const el = h('section', { class: 'found', hidden: true, 'aria-label': t('Messages found') }, heading, list, status, more);
  arrowNavigation(list, 'a.found-item');
  let query = '';
  let next = null;
  let timer = null;
  let asked = 0; // the number of the latest search: answers to earlier ones are dropped

  function setStatus(content, busy = false) {
    status.replaceChildren(...(busy ? [h('span', { class: 'spinner small', 'aria-hidden': 'true' })] : []), ...(content ? [h('span', null, content)] : []));
  }

  function result(m) {
    const conv = state.conversations.get(m.conversation_id);
    const title = conv ? conversationTitle(conv) : t('Chat');
    const who = conv?.kind === 'group' ? (isMe(m.sender_id) ? t('You') : nameOf(m.sender_id)) : isMe(m.sender_id) ? t('You') : null;
    const words = h('span', { class: 'msg-words' }, highlighted(m.text, query, { context: 30 }));
    const href = conv?.kind === 'official' ? `#/chats/subscriptions/${m.conversation_id}` : `#/chats/${m.conversation_id}`;
    return h(
      'li',
      null,
      h(
        'a',
        {
          class: 'chat-item found-item',
          href,
          'data-seq': m.seq,
          onclick: (event) => {
            if (!conv || event.ctrlKey || event.metaKey || event.shiftKey) return;
            event.preventDefault();
            openMessage(conv, m.seq);
          },
        },
        h('span', { class: 'chat-avatar' }, conv ? avatarOf(conv, 40) : null),
        h(
          'span',
          { class: 'chat-main' },
          h('span', { class: 'chat-top' }, h('span', { class: 'chat-name', dir: 'auto' }, title), h('time', { class: 'chat-time' }, listTime(m.created_at))),
          h(
            'span',
            { class: 'chat-bottom' },
            h('span', { class: 'chat-preview found-text', dir: 'auto' }, fillIn(who ? t('{sender}: {text}') : '{text}', { sender: h('bdi', null, who), text: words })),
          ),
        ),
      ),
    );
  }

  async function page(q, before, number) {
    const params = new URLSearchParams({ q, limit: '20' });
    if (before) params.set('before', String(before));
    try {
      const found = await get(`/search/messages?${params}`);
      if (number !== asked) return;
      list.append(...found.messages.map(result));
      next = found.next ?? null;
      more.hidden = !next;
      setStatus(list.children.length ? '' : t('No messages found.'));
    } catch (error) {
      if (number !== asked) return;
      setStatus(humanError(error));
    }
  }

  more.addEventListener('click', () => {
    if (!next) return;
    more.hidden = true;
    setStatus('', true);
    page(query, next, asked);
  });

  function search(text) {
    const q = text.trim().slice(0, MAX_QUERY);
    if (q === query) return;
    query = q;
    clearTimeout(timer);
    asked += 1;
    next = null;
    more.hidden = true;
    list.replaceChildren();
    if (!q || !searchable(q)) {
      el.hidden = !q;
      setStatus(q ? t('Type a word to look for.') : '');
      return;
    }
    el.hidden = false;
    setStatus(t('Searching…'), true);
    const number = asked;
    timer = setTimeout(() => page(q, null, number), PAUSE_MS);
  }

  return {
    el,
    search,
    destroy() {
      clearTimeout(timer);
      asked += 1;
    },
  };
}
