// One open conversation: header, messages (older ones load as you scroll up), composer.

import { h, reconcile, isDesktop } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { clockTime, dayKey, dayLabel, dateTime } from '../ui/format.js';
import { avatar, emptyState, toast } from '../ui/widgets.js';
import { isNotice, kindOf, previewOf } from '../messages/index.js';
import {
  chatOf, conversationTitle, ensureMembers, isMe, lastLeft, loadLatest, loadOlder, nameOf, serverNow,
  sortedMessages, state, subscribe,
} from '../store.js';
import { discard, pendingFor, retry, sendText } from '../outbox.js';
import { markRead, recall, unblock } from '../actions.js';
import { humanError } from '../api.js';
import { openAddFriend, openChatInfo } from './dialogs.js';

const RECALL_WINDOW_MS = 120 * 1000;
const RUN_GAP_MS = 5 * 60 * 1000;
const MAX_TEXT_BYTES = 16 * 1024;
const drafts = new Map(); // conversation id -> unsent text, kept while the page lives
const ctx = { nameOf, isMe };

export function mountChat(el, conversationId) {
  const id = conversationId;
  const chat = () => chatOf(id); // replaced when you leave and rejoin, so always look it up
  let replyTo = null;
  let stick = true; // keep the newest message in view
  let lastSeenSeq = 0;
  let destroyed = false;
  let gone = false; // showing "you left this group" instead of the chat

  // ---- header ----
  const title = h('h2', { class: 'chat-title' });
  const subtitle = h('div', { class: 'chat-subtitle' });
  const headAvatar = h('span', { class: 'chat-head-avatar' });
  const infoButton = h(
    'button',
    { class: 'icon-btn', type: 'button', 'aria-label': 'Chat info', title: 'Chat info', onclick: () => openInfo() },
    icon('more'),
  );
  const header = h(
    'header',
    { class: 'pane-header chat-header' },
    h('a', { class: 'icon-btn back', href: '#/chats', 'aria-label': 'Back to chats' }, icon('back')),
    // a click on the title opens the info too (the button next to it is the keyboard's way there)
    h('div', { class: 'chat-head', onclick: () => openInfo() }, headAvatar, h('div', { class: 'chat-head-text' }, title, subtitle)),
    infoButton,
  );

  // ---- messages ----
  const edge = h('div', { class: 'history-edge', 'aria-live': 'polite' });
  const list = h('div', { class: 'msg-list' });
  const scroller = h('div', { class: 'messages', tabindex: '0', role: 'log', 'aria-label': 'Messages' }, edge, list);
  const pill = h(
    'button',
    { class: 'new-pill', type: 'button', hidden: true, onclick: () => scrollToBottom(true) },
    icon('down', { size: 16 }),
    'New messages',
  );

  // ---- composer ----
  const replyBar = h('div', { class: 'reply-bar', hidden: true });
  const input = h('textarea', {
    class: 'composer-input',
    rows: '1',
    placeholder: 'Message',
    'aria-label': 'Message',
    enterkeyhint: 'send',
  });
  const sendButton = h('button', { class: 'send-btn', type: 'submit', 'aria-label': 'Send', title: 'Send (Enter)' }, icon('send'));
  const form = h('form', { class: 'composer-row' }, input, sendButton);
  const blockedBar = h('div', { class: 'composer-notice', hidden: true });
  const composer = h('footer', { class: 'composer' }, replyBar, blockedBar, form);

  const body = h('div', { class: 'chat-body' }, scroller, pill);
  const pane = h('section', { class: 'chat', 'aria-label': 'Chat' }, header, body, composer);
  el.replaceChildren(pane);

  input.value = drafts.get(id) || '';
  autosize();
  updateSendButton();

  // ---- behaviour ----
  function conv() {
    return state.conversations.get(id);
  }

  function openInfo() {
    const c = conv();
    if (c) openChatInfo(c);
  }

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
  }

  function scrollToBottom(smooth = false) {
    stick = true;
    pill.hidden = true;
    scroller.scrollTo({ top: scroller.scrollHeight, behavior: smooth ? 'smooth' : 'instant' });
    maybeMarkRead();
  }

  function maybeMarkRead() {
    if (destroyed || !chat().loaded || !stick || document.visibilityState !== 'visible') return;
    markRead(id);
  }

  scroller.addEventListener(
    'scroll',
    () => {
      stick = nearBottom();
      if (stick) {
        pill.hidden = true;
        maybeMarkRead();
      }
      if (scroller.scrollTop < 400) older();
    },
    { passive: true },
  );

  function older() {
    if (!chat().loaded || chat().loading || !chat().hasMore) return;
    loadOlder(id).catch((error) => toast(humanError(error), { kind: 'error' }));
  }

  // arrow keys move between messages; Tab then reaches the focused message's actions
  scroller.addEventListener('keydown', (event) => {
    if (!['ArrowUp', 'ArrowDown'].includes(event.key) || event.target.closest('button, a')) return;
    const rows = [...list.querySelectorAll('.msg')];
    if (!rows.length) return;
    const index = rows.indexOf(event.target.closest('.msg'));
    const next = index === -1 ? rows.length - 1 : index + (event.key === 'ArrowDown' ? 1 : -1);
    if (next < 0 || next >= rows.length) return;
    event.preventDefault();
    rows[next].focus();
    rows[next].scrollIntoView({ block: 'nearest' });
  });

  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && !event.isComposing) {
      event.preventDefault();
      submit();
    } else if (event.key === 'Escape' && replyTo) {
      event.preventDefault();
      setReply(null);
    }
  });
  input.addEventListener('input', () => {
    drafts.set(id, input.value);
    autosize();
    updateSendButton();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });

  function autosize() {
    const atBottom = nearBottom();
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
    if (atBottom) scroller.scrollTop = scroller.scrollHeight;
  }

  function updateSendButton() {
    sendButton.disabled = !input.value.trim();
  }

  function submit() {
    const text = input.value;
    if (!text.trim()) return;
    if (new TextEncoder().encode(text).length > MAX_TEXT_BYTES) {
      toast('That message is too long. Split it into a few shorter ones.', { kind: 'error' });
      return;
    }
    const c = conv();
    if (!c) return;
    sendText(id, text, replyTo);
    input.value = '';
    drafts.delete(id);
    setReply(null);
    autosize();
    updateSendButton();
    stick = true;
  }

  function setReply(message) {
    replyTo = message;
    replyBar.hidden = !message;
    replyBar.replaceChildren();
    if (message) {
      replyBar.append(
        icon('reply', { size: 18 }),
        h(
          'div',
          { class: 'reply-bar-text' },
          h('strong', null, `Replying to ${nameOf(message.sender_id)}`),
          h('span', null, previewOf(message, ctx)),
        ),
        h('button', { class: 'icon-btn small', type: 'button', 'aria-label': 'Cancel reply', onclick: () => { setReply(null); input.focus(); } }, icon('close', { size: 18 })),
      );
      input.focus();
    }
    if (stick) scroller.scrollTop = scroller.scrollHeight;
  }

  async function doRecall(message) {
    try {
      await recall(id, message.seq);
    } catch (error) {
      toast(humanError(error), { kind: 'error' });
    }
  }

  function jumpTo(seq) {
    const row = list.querySelector(`[data-seq="${seq}"]`);
    if (!row) {
      toast('That message is further up. Scroll up to find it.');
      return;
    }
    row.scrollIntoView({ block: 'center', behavior: 'smooth' });
    row.classList.remove('flash');
    void row.offsetWidth;
    row.classList.add('flash');
  }

  // ---- rendering ----
  function pendingMessages() {
    const me = state.me?.id;
    return pendingFor(id).map((p) => ({
      pending: true,
      client_id: p.client_id,
      conversation_id: id,
      seq: null,
      sender_id: me,
      kind: 'text',
      text: p.text,
      created_at: p.created_at + state.serverOffset,
      recalled: false,
      reply_to: p.quote,
      state: p.state,
      error: p.error,
    }));
  }

  function entries() {
    const c = conv();
    const group = c?.kind === 'group';
    const all = [...sortedMessages(id), ...pendingMessages()];
    const out = [];
    let prevDay = null;
    let prev = null;
    for (const m of all) {
      const day = dayKey(m.created_at);
      if (day !== prevDay) {
        out.push({ type: 'day', key: `d:${day}`, label: dayLabel(m.created_at) });
        prev = null;
        prevDay = day;
      }
      const notice = isNotice(m);
      const cont = Boolean(prev && !notice && !isNotice(prev) && prev.sender_id === m.sender_id && m.created_at - prev.created_at < RUN_GAP_MS);
      const key = m.client_id ? `c:${m.sender_id}:${m.client_id}` : `s:${m.seq}`;
      out.push({ type: 'msg', key, m, cont, group });
      prev = m;
    }
    return out;
  }

  function signature(e) {
    if (e.type === 'day') return e.label;
    const m = e.m;
    const mine = isMe(m.sender_id);
    return JSON.stringify([
      m.seq, m.text, m.recalled, m.reply_to, m.system, m.state, m.error?.code, e.cont, e.group,
      m.sender_id !== null ? nameOf(m.sender_id) : '', m.reply_to ? nameOf(m.reply_to.sender_id) : '',
      mine && !m.pending && !m.recalled && serverNow() - m.created_at < RECALL_WINDOW_MS,
    ]);
  }

  function renderEntry(e) {
    if (e.type === 'day') return h('div', { class: 'day-sep', role: 'separator' }, h('span', null, e.label));
    const m = e.m;
    if (isNotice(m)) {
      const kind = kindOf(m);
      const content = m.recalled
        ? `${isMe(m.sender_id) ? 'You' : nameOf(m.sender_id)} recalled a message`
        : kind ? kind.render(m, ctx) : 'A message this version of kith cannot show';
      return h('div', { class: `notice${m.recalled ? ' recalled' : ''}`, 'data-seq': m.seq }, h('span', { class: 'notice-text' }, content));
    }
    const mine = isMe(m.sender_id);
    const status = m.pending ? m.state : 'sent';
    const showSender = e.group && !mine && !e.cont;
    const canRecall = mine && !m.pending && serverNow() - m.created_at < RECALL_WINDOW_MS;
    const quote = m.reply_to
      ? h(
          'button',
          { class: 'quote', type: 'button', onclick: () => jumpTo(m.reply_to.seq), 'aria-label': `Reply to ${nameOf(m.reply_to.sender_id)}: ${m.reply_to.text ?? 'recalled message'}` },
          h('span', { class: 'quote-name' }, nameOf(m.reply_to.sender_id)),
          h('span', { class: 'quote-text' }, m.reply_to.text ?? 'Recalled message'),
        )
      : null;
    const statusIcon = mine
      ? status === 'sending'
        ? icon('clock', { size: 14, label: 'Sending', className: 'state-icon' })
        : status === 'failed'
          ? icon('alert', { size: 14, label: 'Not sent', className: 'state-icon failed' })
          : icon('check', { size: 14, label: 'Sent', className: 'state-icon' })
      : null;
    const actions = m.pending
      ? null
      : h(
          'div',
          { class: 'msg-actions' },
          h('button', { class: 'icon-btn small', type: 'button', 'aria-label': 'Reply', title: 'Reply', 'data-focus': 'reply', onclick: () => setReply(m) }, icon('reply', { size: 18 })),
          canRecall
            ? h('button', { class: 'icon-btn small', type: 'button', 'aria-label': 'Recall', title: 'Recall (within 2 minutes)', 'data-focus': 'recall', onclick: () => doRecall(m) }, icon('undo', { size: 18 }))
            : null,
        );
    const kind = kindOf(m);
    return h(
      'div',
      {
        class: `msg ${mine ? 'mine' : 'theirs'}${e.cont ? ' cont' : ''}${e.group ? ' in-group' : ''}`,
        tabindex: '-1',
        'data-seq': m.seq ?? '',
        'data-state': status,
        'data-client-id': m.client_id ?? '',
      },
      e.group && !mine
        ? e.cont
          ? h('span', { class: 'msg-avatar-gap' })
          : h('span', { class: 'msg-avatar' }, avatar(nameOf(m.sender_id), m.sender_id, { size: 32 }))
        : null,
      h(
        'div',
        { class: 'msg-body' },
        showSender ? h('div', { class: 'msg-sender' }, nameOf(m.sender_id)) : null,
        h(
          'div',
          { class: 'bubble' },
          quote,
          kind.render(m, ctx),
          h('span', { class: 'msg-meta' }, h('time', { title: dateTime(m.created_at) }, clockTime(m.created_at)), statusIcon),
        ),
        status === 'failed'
          ? h(
              'div',
              { class: 'msg-failed', role: 'alert' },
              h('span', null, `Not sent. ${humanError(m.error)}`),
              h('button', { class: 'link-btn', type: 'button', 'data-focus': 'retry', onclick: () => retry(m.client_id) }, 'Retry'),
              h('button', { class: 'link-btn', type: 'button', onclick: () => discard(m.client_id) }, 'Delete'),
            )
          : null,
      ),
      actions,
    );
  }

  function renderHeader() {
    const c = conv();
    if (!c) return;
    const name = conversationTitle(c);
    title.textContent = name;
    headAvatar.replaceChildren(avatar(name, c.kind === 'group' ? c.id : c.peer?.id, { group: c.kind === 'group', size: 36 }));
    const flags = [c.muted ? 'Muted' : null, c.pinned ? 'Pinned' : null].filter(Boolean);
    const base = c.kind === 'group' ? `${c.member_count} member${c.member_count === 1 ? '' : 's'}` : c.peer && !c.peer.deleted ? `@${c.peer.handle}` : '';
    subtitle.textContent = [base, ...flags].join(' · ');
  }

  function renderComposerState() {
    const c = conv();
    let notice = null;
    if (c?.kind === 'direct' && c.peer && state.ready) {
      const peer = c.peer;
      if (peer.deleted) {
        notice = h('div', null, h('span', null, 'This account was deleted.'));
      } else if (state.blocked.has(peer.id)) {
        notice = h(
          'div',
          null,
          h('span', null, `You blocked ${conversationTitle(c)}.`),
          h('button', { class: 'link-btn', type: 'button', onclick: () => unblock(peer.id).catch((e) => toast(humanError(e), { kind: 'error' })) }, 'Unblock'),
        );
      } else if (!state.friends.has(peer.id)) {
        notice = h(
          'div',
          null,
          h('span', null, `You are not friends yet. Add ${peer.display_name} as a friend to chat.`),
          h('button', { class: 'link-btn', type: 'button', onclick: () => openAddFriend(peer.handle) }, 'Add friend'),
        );
      }
    }
    blockedBar.hidden = !notice;
    blockedBar.replaceChildren(...(notice ? [notice] : []));
    form.hidden = Boolean(notice);
  }

  function renderEdge() {
    const c = conv();
    edge.replaceChildren();
    if (chat().loading) edge.append(h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', { class: 'sr-only' }, 'Loading messages'));
    else if (chat().loaded && !chat().hasMore && c) {
      edge.append(
        h('span', { class: 'edge-text' }, c.kind === 'group' ? 'This is the beginning of the group.' : `This is the beginning of your chat with ${conversationTitle(c)}.`),
      );
    }
  }

  function render() {
    if (destroyed) return;
    const c = conv();
    if (!c) {
      if (!state.ready) return;
      const left = lastLeft?.conv.id === id ? lastLeft : null;
      gone = true;
      el.replaceChildren(
        h(
          'div',
          { class: 'main-empty' },
          h('a', { class: 'icon-btn back floating', href: '#/chats', 'aria-label': 'Back to chats' }, icon('back')),
          emptyState(
            'chat',
            left ? (left.reason === 'removed' ? 'You were removed from this group' : 'You left this group') : 'This chat is not available',
            left ? 'Its messages are no longer shown here.' : 'It may have been removed, or you are not a member.',
            h('a', { class: 'btn', href: '#/chats' }, 'Back to chats'),
          ),
        ),
      );
      return;
    }
    if (gone) {
      // added back to the group: show it again, from the new membership on
      gone = false;
      lastSeenSeq = 0;
      stick = true;
      el.replaceChildren(pane);
    }
    renderHeader();
    renderComposerState();
    if (!chat().loaded && !chat().loading) {
      loadLatest(id).catch((error) => toast(humanError(error), { kind: 'error' }));
      if (c.kind === 'group') ensureMembers(id);
    }
    const wasAtBottom = stick;
    let anchor = null;
    let anchorTop = 0;
    if (!wasAtBottom) {
      const top = scroller.getBoundingClientRect().top;
      for (const row of list.children) {
        if (row.classList.contains('day-sep')) continue; // moves as older days load above it
        const rect = row.getBoundingClientRect();
        if (rect.bottom > top) {
          anchor = row.dataset.key; // by key: the row itself may be re-rendered
          anchorTop = rect.top;
          break;
        }
      }
    }
    const items = entries();
    reconcile(list, items, (e) => e.key, signature, renderEntry);
    renderEdge();
    if (wasAtBottom) scroller.scrollTop = scroller.scrollHeight;
    else if (anchor) {
      const row = [...list.children].find((node) => node.dataset.key === anchor);
      if (row) scroller.scrollTop += row.getBoundingClientRect().top - anchorTop;
    }

    const newest = items.length ? items[items.length - 1] : null;
    const newestSeq = newest?.m?.seq || 0;
    if (newestSeq > lastSeenSeq) {
      if (!wasAtBottom && lastSeenSeq && !isMe(newest.m.sender_id)) pill.hidden = false;
      lastSeenSeq = newestSeq;
    }
    maybeMarkRead();
    // not enough history to fill the screen: fetch more so scrolling up is possible
    if (chat().loaded && chat().hasMore && !chat().loading && scroller.scrollHeight <= scroller.clientHeight + 40) older();
  }

  const onVisible = () => maybeMarkRead();
  document.addEventListener('visibilitychange', onVisible);
  const tick = setInterval(render, 30000); // recall buttons expire; "Today" becomes "Yesterday"
  const unsubscribe = subscribe(
    [`messages:${id}`, `members:${id}`, 'conversations', 'users', 'friends', 'blocked', 'ready', 'connection'],
    render,
  );
  function cleanup() {
    unsubscribe();
    clearInterval(tick);
    document.removeEventListener('visibilitychange', onVisible);
  }
  render();
  if (isDesktop() && !form.hidden) input.focus({ preventScroll: true });

  return {
    destroy() {
      destroyed = true;
      cleanup();
    },
  };
}
