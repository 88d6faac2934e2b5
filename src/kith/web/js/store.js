// Client state, built from a REST snapshot and then kept current by applying events from the
// per-user log (docs/sync.md). Every handler is idempotent: an event may be applied to a snapshot
// that already contains it. Views subscribe to topics and re-render when one changes.

import { get } from './api.js';
import { t } from './i18n.js';

// ---- change notification --------------------------------------------------------------------

const listeners = new Map(); // topic -> Set(fn)
const dirty = new Set();
let flushQueued = false;

/** Call fn whenever one of the topics changes (batched per task). Returns an unsubscribe. */
export function subscribe(topics, fn) {
  for (const topic of [topics].flat()) {
    if (!listeners.has(topic)) listeners.set(topic, new Set());
    listeners.get(topic).add(fn);
  }
  return () => {
    for (const topic of [topics].flat()) listeners.get(topic)?.delete(fn);
  };
}

export function changed(topic) {
  dirty.add(topic);
  if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(flush);
  }
}

function flush() {
  flushQueued = false;
  const topics = [...dirty];
  dirty.clear();
  const called = new Set();
  for (const topic of topics) {
    for (const fn of listeners.get(topic) || []) {
      if (called.has(fn)) continue;
      called.add(fn);
      try {
        fn(topics);
      } catch (error) {
        console.warn('view update failed', error); // a broken view must not stop the others
      }
    }
  }
}

// ---- state ----------------------------------------------------------------------------------

export const state = {
  me: null, // User
  deviceId: null,
  ready: false, // the snapshot is loaded
  since: 0, // the last event seq applied
  connection: 'connecting', // connecting | online | offline
  users: new Map(), // id -> User, everyone we have seen (friends, members, requesters)
  conversations: new Map(), // id -> Conversation (docs/sync.md)
  // conversation id -> {items: Map(seq -> Message), loaded, hasMore, loading, members, windowEnd}:
  // windowEnd is the newest seq of the history read so far, Infinity while it reaches the newest
  // message (a chat opened at an older message reads newer pages as it is scrolled down)
  chats: new Map(),
  friends: new Map(), // user id -> Friend
  requests: new Map(), // request id -> FriendRequest (pending ones only)
  blocked: new Map(), // user id -> User
  devices: null, // [Device] once loaded
  accounts: new Map(), // official account id -> AccountCard, every one we have seen (docs/platform.md)
  serverOffset: 0, // server clock minus ours, in ms
};

export function reset(user, deviceId) {
  state.me = user;
  state.deviceId = deviceId;
  state.ready = false;
  state.since = 0;
  state.users = new Map(user ? [[user.id, user]] : []);
  state.conversations = new Map();
  state.chats = new Map();
  state.friends = new Map();
  state.requests = new Map();
  state.blocked = new Map();
  state.devices = null;
  state.accounts = new Map();
  for (const topic of listeners.keys()) changed(topic);
}

function rememberUser(user) {
  if (!user || typeof user.id !== 'number') return;
  const known = state.users.get(user.id);
  if (!known || known.display_name !== user.display_name || known.status !== user.status || known.avatar !== user.avatar) {
    state.users.set(user.id, user);
    changed('users');
  }
}

/** Load everything a first screen needs. `head` is the log position read before the snapshot. */
export async function loadSnapshot() {
  const { head } = await get('/sync?since=0&limit=1');
  const [me, convs, friends, requests, blocks] = await Promise.all([
    get('/me'),
    get('/conversations'),
    get('/friends'),
    get('/friend-requests'),
    get('/blocks'),
  ]);
  state.me = me;
  rememberUser(me);
  state.conversations = new Map();
  state.chats = new Map();
  for (const conv of convs.conversations) {
    state.conversations.set(conv.id, conv);
    rememberUser(conv.peer);
    rememberUser(conv.last_sender); // a group member we may not know, whom the list names
    rememberAccount(conv.account);
  }
  state.friends = new Map(friends.friends.map((f) => [f.user.id, f]));
  friends.friends.forEach((f) => rememberUser(f.user));
  state.requests = new Map();
  for (const r of [...requests.incoming, ...requests.outgoing]) {
    state.requests.set(r.id, r);
    rememberUser(r.from_user);
    rememberUser(r.to_user);
  }
  state.blocked = new Map(blocks.users.map((u) => [u.id, u]));
  state.since = head;
  state.ready = true;
  for (const topic of ['me', 'conversations', 'friends', 'requests', 'blocked', 'users', 'accounts', 'ready']) changed(topic);
}

/** Keep what we learnt of an official account (from a search, its page, a conversation, an event). */
export function rememberAccount(card) {
  if (!card || typeof card.id !== 'number') return;
  const known = state.accounts.get(card.id);
  const next = known ? { ...known, ...card } : card;
  if (JSON.stringify(next) === JSON.stringify(known)) return;
  state.accounts.set(card.id, next);
  changed('accounts');
  // the conversation shows the account as it is now (its menu, whether we follow it)
  const conv = conversationOfAccount(card.id);
  if (conv && JSON.stringify(conv.account) !== JSON.stringify(next)) {
    state.conversations.set(conv.id, { ...conv, account: next });
    changed('conversations');
  }
}

// ---- selectors ------------------------------------------------------------------------------

export function isMe(userId) {
  return state.me && userId === state.me.id;
}

/** What to call someone: "You", your remark for them, or their display name. */
export function nameOf(userId, { you = t('You'), unknown = t('Someone') } = {}) {
  if (userId === null || userId === undefined) return '';
  if (isMe(userId)) return you;
  const friend = state.friends.get(userId);
  if (friend?.remark) return friend.remark;
  return friend?.user.display_name || state.users.get(userId)?.display_name || unknown;
}

export function conversationTitle(conv) {
  if (!conv) return '';
  if (conv.kind === 'official') return conv.account?.name || conv.name || t('Official account');
  if (conv.kind === 'direct') {
    if (!conv.peer) return t('Deleted user');
    return conv.remark || state.friends.get(conv.peer.id)?.remark || conv.peer.display_name;
  }
  if (conv.name) return conv.name;
  const members = state.chats.get(conv.id)?.members;
  if (!members) {
    ensureMembers(conv.id);
    return t('Group chat');
  }
  const others = members.filter((m) => !isMe(m.user.id)).map((m) => nameOf(m.user.id));
  if (!others.length) return t('Group chat');
  const [a, b, c] = others;
  if (others.length === 1) return a;
  if (others.length === 2) return t('{a}, {b}', { a, b });
  return others.length === 3 ? t('{a}, {b}, {c}', { a, b, c }) : t('{a}, {b}, {c}…', { a, b, c });
}

/** Pinned first, then by last activity, newest first. */
export function sortedConversations() {
  return [...state.conversations.values()].sort(
    (a, b) => (b.pinned - a.pinned) || (b.last_activity_at - a.last_activity_at) || (b.id - a.id),
  );
}

/** Whether a message names us (@): it notifies even in a muted chat, and marks the chat in the list. */
export function mentionsMe(m) {
  return Boolean(m?.mentions?.length) && !m.recalled && !isMe(m.sender_id) && m.mentions.some((id) => isMe(id));
}

export function totalUnread() {
  let total = 0;
  for (const conv of state.conversations.values()) if (!conv.muted && !unfollowed(conv)) total += conv.unread;
  return total;
}

// ---- official accounts ------------------------------------------------------------------------

/** An account's conversation with us whose account we no longer follow (its history stays). */
export function unfollowed(conv) {
  return conv.kind === 'official' && conv.account?.following === false;
}

/** The conversations of the accounts we follow, newest activity first (they share one entry in Chats). */
export function subscriptions() {
  return sortedConversations().filter((c) => c.kind === 'official' && !unfollowed(c));
}

export function conversationOfAccount(accountId) {
  for (const conv of state.conversations.values()) if (conv.kind === 'official' && conv.account?.id === accountId) return conv;
  return null;
}

/** Who a message is from, for the chat and its quotes: an account's message has no sender. */
export function senderName(conv, senderId) {
  if ((senderId === null || senderId === undefined) && conv?.kind === 'official') return conversationTitle(conv);
  return nameOf(senderId);
}

export function incomingRequests() {
  return [...state.requests.values()]
    .filter((r) => r.status === 'pending' && isMe(r.to_user.id))
    .sort((a, b) => b.updated_at - a.updated_at);
}

export function outgoingRequests() {
  return [...state.requests.values()]
    .filter((r) => r.status === 'pending' && isMe(r.from_user.id))
    .sort((a, b) => b.updated_at - a.updated_at);
}

export function sortedFriends() {
  const label = (f) => (f.remark || f.user.display_name).toLocaleLowerCase();
  return [...state.friends.values()].sort((a, b) => label(a).localeCompare(label(b)));
}

export function directWith(userId) {
  for (const conv of state.conversations.values()) if (conv.kind === 'direct' && conv.peer?.id === userId) return conv;
  return null;
}

export function serverNow() {
  return Date.now() + state.serverOffset;
}

// ---- per-conversation messages ----------------------------------------------------------------

export function chatOf(conversationId) {
  let chat = state.chats.get(conversationId);
  if (!chat) {
    chat = { items: new Map(), loaded: false, hasMore: true, loading: false, members: null, membersLoading: false, windowEnd: Infinity };
    state.chats.set(conversationId, chat);
  }
  return chat;
}

export function sortedMessages(conversationId) {
  return [...chatOf(conversationId).items.values()].sort((a, b) => a.seq - b.seq);
}

function storeMessages(conversationId, messages) {
  const chat = chatOf(conversationId);
  for (const m of messages) {
    const known = chat.items.get(m.seq);
    // a message read from the store is as it is now; never un-recall one we saw recalled
    chat.items.set(m.seq, known?.recalled && !m.recalled ? known : m);
    rememberSystemUsers(m);
  }
  changed(`messages:${conversationId}`);
}

const PAGE = 40;

/** The newest page of a conversation, once. */
export async function loadLatest(conversationId) {
  const chat = chatOf(conversationId);
  if (chat.loaded || chat.loading) return;
  chat.loading = true;
  changed(`messages:${conversationId}`);
  try {
    const page = await get(`/conversations/${conversationId}/messages?limit=${PAGE}`);
    storeMessages(conversationId, page.messages);
    chat.hasMore = page.has_more;
    chat.windowEnd = Infinity;
    chat.loaded = true;
  } finally {
    chat.loading = false;
    changed(`messages:${conversationId}`);
  }
}

/** The messages shown of a conversation: those of the history read so far, in seq order. */
export function shownMessages(conversationId) {
  const end = chatOf(conversationId).windowEnd;
  const all = sortedMessages(conversationId);
  return end === Infinity ? all : all.filter((m) => m.seq <= end);
}

const AROUND = 20; // messages read on each side of one opened in the middle of its history

/**
 * Read the history around the message at ``seq`` (the one at or after it, and those before), for a
 * chat opened at a search result, a quote or the first unread message. What was read before stays
 * only if it joins up with it; otherwise the chat shows this part of its history, the newer pages
 * read as it is scrolled down (``loadNewer``).
 */
export async function loadAround(conversationId, seq) {
  const chat = chatOf(conversationId);
  if (chat.loading) return;
  chat.loading = true;
  changed(`messages:${conversationId}`);
  try {
    const base = `/conversations/${conversationId}/messages`;
    const [older, newer] = await Promise.all([
      get(`${base}?before=${seq}&limit=${AROUND}`),
      get(`${base}?after=${Math.max(seq - 1, 0)}&limit=${AROUND}`),
    ]);
    const got = [...older.messages, ...newer.messages];
    const known = chat.loaded ? [...chat.items.keys()].filter((s) => s <= chat.windowEnd) : [];
    const low = got.length ? got[0].seq : seq;
    const high = newer.has_more ? (got.length ? got[got.length - 1].seq : seq) : Infinity;
    const oldest = known.length ? Math.min(...known) : null;
    if (oldest !== null && oldest <= high && chat.windowEnd >= low) {
      // it overlaps what was read: one stretch of history
      if (low < oldest) chat.hasMore = older.has_more;
      chat.windowEnd = Math.max(chat.windowEnd, high);
    } else {
      // a stretch of its own: what was read before it goes (what is after it is hidden until reached)
      for (const s of [...chat.items.keys()]) if (s < low) chat.items.delete(s);
      chat.hasMore = older.has_more;
      chat.windowEnd = high;
    }
    storeMessages(conversationId, got);
    chat.loaded = true;
  } finally {
    chat.loading = false;
    changed(`messages:${conversationId}`);
  }
}

/** The page after the newest message read, while the history read does not reach the newest. */
export async function loadNewer(conversationId) {
  const chat = chatOf(conversationId);
  if (!chat.loaded || chat.loading || chat.windowEnd === Infinity) return;
  chat.loading = true;
  changed(`messages:${conversationId}`);
  try {
    const page = await get(`/conversations/${conversationId}/messages?after=${chat.windowEnd}&limit=${PAGE}`);
    storeMessages(conversationId, page.messages);
    const last = page.messages.length ? page.messages[page.messages.length - 1].seq : chat.windowEnd;
    chat.windowEnd = page.has_more ? last : Infinity;
  } finally {
    chat.loading = false;
    changed(`messages:${conversationId}`);
  }
}

/** Back to the newest messages, from a part of the history further up. */
export async function loadLatestAgain(conversationId) {
  const chat = chatOf(conversationId);
  if (chat.windowEnd === Infinity || chat.loading) return;
  chat.items.clear();
  chat.loaded = false;
  chat.hasMore = true;
  chat.windowEnd = Infinity;
  await loadLatest(conversationId);
}

/** The page before the oldest message we have. */
export async function loadOlder(conversationId) {
  const chat = chatOf(conversationId);
  if (!chat.loaded || chat.loading || !chat.hasMore) return;
  const oldest = Math.min(...chat.items.keys());
  chat.loading = true;
  changed(`messages:${conversationId}`);
  try {
    const page = await get(`/conversations/${conversationId}/messages?before=${oldest}&limit=${PAGE}`);
    storeMessages(conversationId, page.messages);
    chat.hasMore = page.has_more;
  } finally {
    chat.loading = false;
    changed(`messages:${conversationId}`);
  }
}

export async function ensureMembers(conversationId, { force = false } = {}) {
  const chat = chatOf(conversationId);
  if ((chat.members && !force) || chat.membersLoading) return;
  chat.membersLoading = true;
  try {
    const { members } = await get(`/conversations/${conversationId}/members`);
    members.forEach((m) => rememberUser(m.user));
    chat.members = members;
    changed(`members:${conversationId}`);
    changed('conversations');
    changed(`messages:${conversationId}`);
  } catch {
    // not a member any more, or offline: the next attempt will tell
  } finally {
    chat.membersLoading = false;
  }
}

const refreshing = new Map();

/** Re-read one conversation's counters from the server (after a change we cannot count locally). */
export function refreshConversation(conversationId, { force = false } = {}) {
  if (refreshing.has(conversationId) && !force) return refreshing.get(conversationId);
  const job = get(`/conversations/${conversationId}`)
    .then((fresh) => {
      const conv = state.conversations.get(conversationId);
      // an older answer than what we know is dropped, unless a message went from our view (its last_seq drops)
      if (conv && (force || fresh.last_seq >= conv.last_seq)) {
        rememberUser(fresh.last_sender);
        state.conversations.set(conversationId, { ...conv, ...fresh, avatar: fresh.avatar });
        changed('conversations');
      }
    })
    .catch(() => {})
    .finally(() => refreshing.delete(conversationId));
  refreshing.set(conversationId, job);
  return job;
}

export function upsertConversation(conv) {
  const known = state.conversations.get(conv.id);
  // a conversation without an avatar has none (the field is left out), so it is not merged
  state.conversations.set(conv.id, known ? { ...known, ...conv, avatar: conv.avatar } : conv);
  rememberUser(conv.peer);
  rememberUser(conv.last_sender);
  if (conv.account) {
    state.accounts.set(conv.account.id, { ...state.accounts.get(conv.account.id), ...conv.account });
    changed('accounts');
  }
  changed('conversations');
}

function rememberSystemUsers(m) {
  const s = m.system;
  if (!s) return;
  rememberUser(s.actor);
  rememberUser(s.owner);
  (s.users || []).forEach(rememberUser);
}

// ---- events ---------------------------------------------------------------------------------

const handlers = new Map();

/** Register what an event type does to the state. Later features add their own types here. */
export function onEvent(type, fn) {
  handlers.set(type, fn);
}

const afterMessage = new Set();
/** Hooks run for each message applied (the outbox uses this to settle its pending sends). */
export function onMessage(fn) {
  afterMessage.add(fn);
}

/** Apply events in seq order; skips any already applied. */
export function applyEvents(events) {
  for (const event of events) {
    if (event.seq <= state.since) continue;
    const handler = handlers.get(event.type);
    if (handler) {
      try {
        handler(event.data, event);
      } catch (error) {
        console.warn(`could not apply ${event.type}`, error);
      }
    }
    state.since = event.seq;
  }
}

export function applyMessage(m) {
  rememberSystemUsers(m);
  const chat = chatOf(m.conversation_id);
  const known = chat.items.get(m.seq);
  chat.items.set(m.seq, known?.recalled ? known : m);
  changed(`messages:${m.conversation_id}`);
  for (const fn of afterMessage) fn(m);
  const conv = state.conversations.get(m.conversation_id);
  if (!conv) {
    refreshConversationList();
    return;
  }
  if (m.seq <= conv.last_seq) {
    if (conv.last_message?.seq === m.seq && !conv.last_message.recalled) conv.last_message = m;
    return;
  }
  const next = { ...conv, last_seq: m.seq, last_message: m, last_activity_at: Math.max(conv.last_activity_at, m.created_at) };
  if (isMe(m.sender_id)) {
    next.read_seq = m.seq; // sending reads everything before it
    next.unread = 0;
  } else if (m.kind !== 'system' && !m.recalled && m.seq > conv.read_seq) {
    next.unread = conv.unread + 1;
    if (mentionsMe(m)) next.mentioned = true;
  }
  if (m.kind === 'system') applySystem(next, m.system || {});
  state.conversations.set(conv.id, next);
  changed('conversations');
  // a group member we know nothing of: the list names them once the members are read (one request)
  const sender = m.sender_id;
  if (conv.kind === 'group' && typeof sender === 'number' && !isMe(sender) && !state.friends.has(sender) && !state.users.has(sender)) {
    ensureMembers(conv.id, { force: true });
  }
}

function applySystem(conv, s) {
  switch (s.action) {
    case 'created':
    case 'renamed':
      if (typeof s.name === 'string') conv.name = s.name;
      break;
    case 'members_added':
      // if we are one of those added, the conversation we were given already counts everyone
      if (!(s.users || []).some((u) => isMe(u.id))) conv.member_count += (s.users || []).length;
      break;
    case 'member_removed':
      conv.member_count -= (s.users || []).length;
      break;
    case 'member_left':
      conv.member_count -= 1;
      if (s.owner) conv.owner_id = s.owner.id;
      break;
    case 'owner_changed':
      if (s.owner) conv.owner_id = s.owner.id;
      break;
    case 'settings_changed':
      if (typeof s.owner_only_adds === 'boolean') conv.owner_only_adds = s.owner_only_adds;
      break;
    case 'avatar_changed':
      if (s.avatar !== undefined) conv.avatar = s.avatar || undefined;
      else refreshConversation(conv.id); // the notice does not say which picture: ask
      break;
    default:
      return;
  }
  if (['members_added', 'member_removed', 'member_left', 'owner_changed'].includes(s.action)) {
    const chat = state.chats.get(conv.id);
    if (chat?.members) ensureMembers(conv.id, { force: true });
  }
}

let listRefresh = null;
function refreshConversationList() {
  if (listRefresh) return;
  listRefresh = get('/conversations')
    .then(({ conversations }) => conversations.forEach(upsertConversation))
    .catch(() => {})
    .finally(() => {
      listRefresh = null;
    });
}

onEvent('message', (m) => applyMessage(m));

onEvent('message.recalled', ({ conversation_id: cid, seq }) => {
  const chat = state.chats.get(cid);
  const m = chat?.items.get(seq);
  if (chat) {
    if (m && !m.recalled) chat.items.set(seq, { ...m, recalled: true, text: '' });
    for (const [s, item] of chat.items) {
      if (item.reply_to?.seq === seq && item.reply_to.text !== null) {
        chat.items.set(s, { ...item, reply_to: { ...item.reply_to, text: null } });
      }
    }
    changed(`messages:${cid}`);
  }
  const conv = state.conversations.get(cid);
  if (!conv) return;
  if (conv.last_message?.seq === seq && !conv.last_message.recalled) {
    state.conversations.set(cid, { ...conv, last_message: { ...conv.last_message, recalled: true, text: '' } });
    changed('conversations');
  }
  // an unread message that disappears changes the count: ask the server rather than guess
  if (seq > conv.read_seq && !(m && isMe(m.sender_id)) && (conv.unread > 0 || conv.mentioned)) refreshConversation(cid);
});

/** A message deleted for me: out of the chat (the conversation's preview and count come from the server). */
export function forgetMessage(conversationId, seq) {
  const chat = state.chats.get(conversationId);
  if (chat?.items.delete(seq)) changed(`messages:${conversationId}`);
}

onEvent('message.hidden', ({ conversation_id: cid, seq }) => {
  forgetMessage(cid, seq);
  const conv = state.conversations.get(cid);
  // it was the preview, or unread: the server says what the list shows now
  if (conv && (conv.last_message?.seq === seq || (seq > conv.read_seq && conv.unread > 0))) refreshConversation(cid, { force: true });
});

onEvent('conversation.joined', ({ conversation }) => {
  if (!state.conversations.has(conversation.id)) {
    state.chats.delete(conversation.id); // a fresh membership: what we had from before is not ours
    upsertConversation(conversation);
  }
});

onEvent('conversation.left', ({ conversation_id: cid, reason }) => {
  const conv = state.conversations.get(cid);
  if (!conv) return;
  state.conversations.delete(cid);
  state.chats.delete(cid);
  lastLeft = { conv, reason };
  changed('conversations');
  changed(`left:${cid}`);
});

/** The conversation most recently left or removed from, so a view can say what happened. */
export let lastLeft = null;

onEvent('conversation.read', ({ conversation_id: cid, read_seq: readSeq }) => {
  const conv = state.conversations.get(cid);
  if (!conv || readSeq <= conv.read_seq) return;
  if (readSeq >= conv.last_seq) {
    state.conversations.set(cid, { ...conv, read_seq: readSeq, unread: 0, mentioned: false });
    changed('conversations');
  } else {
    state.conversations.set(cid, { ...conv, read_seq: readSeq });
    refreshConversation(cid);
  }
});

onEvent('conversation.prefs', ({ conversation_id: cid, muted, pinned }) => {
  const conv = state.conversations.get(cid);
  if (!conv) return;
  state.conversations.set(cid, { ...conv, muted, pinned });
  changed('conversations');
});

onEvent('friend.request', ({ request }) => {
  rememberUser(request.from_user);
  rememberUser(request.to_user);
  if (request.status === 'pending') state.requests.set(request.id, request);
  else state.requests.delete(request.id);
  changed('requests');
});

const noticeHooks = new Set();
/** Hooks told of news worth a word on screen: {kind: 'accepted', user} when someone accepted our request. */
export function onNotice(fn) {
  noticeHooks.add(fn);
  return () => noticeHooks.delete(fn);
}

onEvent('friend.added', ({ friend, request_id: requestId }) => {
  rememberUser(friend.user);
  const mine = state.requests.get(requestId);
  if (mine && isMe(mine.from_user.id)) for (const fn of noticeHooks) fn({ kind: 'accepted', user: friend.user });
  state.friends.set(friend.user.id, friend);
  for (const [id, r] of state.requests) {
    if (r.from_user.id === friend.user.id || r.to_user.id === friend.user.id) state.requests.delete(id);
  }
  changed('friends');
  changed('requests');
  changed('conversations');
});

onEvent('friend.removed', ({ user_id: uid }) => {
  state.friends.delete(uid);
  changed('friends');
  changed('conversations');
});

onEvent('friend.updated', ({ friend }) => {
  rememberUser(friend.user);
  state.friends.set(friend.user.id, friend);
  const conv = directWith(friend.user.id);
  if (conv) state.conversations.set(conv.id, { ...conv, remark: friend.remark });
  changed('friends');
  changed('conversations');
});

onEvent('contact.blocked', ({ user }) => {
  rememberUser(user);
  state.blocked.set(user.id, user);
  const friend = state.friends.get(user.id);
  if (friend) state.friends.set(user.id, { ...friend, blocked: true });
  changed('blocked');
  changed('friends');
});

onEvent('contact.unblocked', ({ user_id: uid }) => {
  state.blocked.delete(uid);
  const friend = state.friends.get(uid);
  if (friend) state.friends.set(uid, { ...friend, blocked: false });
  changed('blocked');
  changed('friends');
});

onEvent('profile.updated', ({ user }) => {
  rememberUser(user);
  if (isMe(user.id)) {
    state.me = user;
    changed('me');
  }
  const friend = state.friends.get(user.id);
  if (friend) state.friends.set(user.id, { ...friend, user });
  const conv = directWith(user.id);
  if (conv) state.conversations.set(conv.id, { ...conv, peer: user });
  changed('friends');
  changed('conversations');
});

onEvent('device.added', (device) => {
  if (state.devices && !state.devices.some((d) => d.id === device.id)) {
    state.devices = [...state.devices, device];
    changed('devices');
  }
});

onEvent('device.revoked', ({ device_id: id }) => {
  if (state.devices) {
    state.devices = state.devices.filter((d) => d.id !== id);
    changed('devices');
  }
  // our own revocation: the socket is closed with 4003 and the app signs out
});

onEvent('official.followed', ({ account }) => rememberAccount({ ...account, following: true }));

onEvent('official.unfollowed', ({ account_id: id }) => {
  const known = state.accounts.get(id);
  if (known) rememberAccount({ ...known, following: false });
  const conv = conversationOfAccount(id);
  if (conv && conv.account?.following !== false) {
    state.conversations.set(conv.id, { ...conv, account: { ...conv.account, following: false } });
    changed('conversations');
  }
});
