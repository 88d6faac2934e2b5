// Typing indicators in direct chats (docs/websocket.md, "Typing indicators"): while you write, a
// typing frame at most every 3 s; the other person's shows for 6 s, or until their next message.
// Nothing is stored, and nothing else is said (no "online", no "last seen"). Me → Privacy turns
// them off in this browser: then it neither sends nor shows them.

import { changed, isMe, onMessage, state } from './store.js';

const SHOW_MS = 6000; // a typing frame shows this long, unless another one or a message comes
const SEND_EVERY_MS = 3000;

let sync = null;
const shown = new Map(); // conversation id -> the timer that ends its indicator
const sent = new Map(); // conversation id -> when we last said we were typing there

export function useTypingTransport(instance) {
  sync = instance;
}

const key = () => `kith.typing.${state.me?.id}`;

/** Whether typing indicators are on in this browser (they are unless turned off). */
export function typingEnabled() {
  try {
    return localStorage.getItem(key()) !== 'off';
  } catch {
    return true;
  }
}

export function setTypingEnabled(on) {
  try {
    if (on) localStorage.removeItem(key());
    else localStorage.setItem(key(), 'off');
  } catch {
    // no storage: the choice lasts as long as the page
  }
  if (!on) for (const id of [...shown.keys()]) stop(id);
  sent.clear();
  changed('typing');
}

function stop(conversationId) {
  clearTimeout(shown.get(conversationId));
  if (shown.delete(conversationId)) changed(`typing:${conversationId}`);
}

/** The other person of a direct chat is typing (a frame from the socket). */
export function heardTyping(frame) {
  const conv = state.conversations.get(frame.conversation_id);
  if (!typingEnabled() || conv?.kind !== 'direct' || conv.peer?.id !== frame.user_id) return;
  clearTimeout(shown.get(conv.id));
  shown.set(conv.id, setTimeout(() => stop(conv.id), SHOW_MS));
  changed(`typing:${conv.id}`);
}

export function isTyping(conversationId) {
  return shown.has(conversationId);
}

/** We typed in a conversation's composer: say so, if it is a direct chat and it has been a while. */
export function typed(conversationId) {
  const conv = state.conversations.get(conversationId);
  if (!sync || conv?.kind !== 'direct' || !typingEnabled()) return;
  const now = Date.now();
  if (now - (sent.get(conversationId) || 0) < SEND_EVERY_MS) return;
  if (sync.send({ type: 'typing', conversation_id: conversationId })) sent.set(conversationId, now);
}

/** What they were typing has arrived; and what we sent ends our own typing (the next one says so again). */
onMessage((m) => {
  if (isMe(m.sender_id)) sent.delete(m.conversation_id);
  else stop(m.conversation_id);
});

/** Signing out: nothing of this person's carries over. */
export function clearTyping() {
  for (const id of [...shown.keys()]) stop(id);
  sent.clear();
}
