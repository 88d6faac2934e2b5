// Messages on their way out. Each gets a client id when it is written; the id is kept (in
// localStorage, per user) until the server has acknowledged it, and every retry reuses it, so the
// server stores a message once however often it is sent (docs/websocket.md, "send").
//
// States: "queued" (waiting for a connection: written offline, or in flight when it dropped) ->
// "sending" (sent, awaiting its ack) -> acknowledged (leaves the outbox and becomes a message), or
// "failed" (refused by the server) -> Retry or Delete. A queued message goes by itself when the
// connection is back, and so does one whose ack never came (timed out): both with their first id.

import { changed, onMessage, state } from './store.js';

const ACK_WITHIN_MS = 15000;

let items = []; // [{client_id, conversation_id, text, reply_to, quote, created_at, state, error, sent_at}]
let key = null;
let transport = null; // the Sync, once connected
let timer = null;

export function loadOutbox(userId) {
  key = `kith.outbox.${userId}`;
  try {
    items = JSON.parse(localStorage.getItem(key)) || [];
  } catch {
    items = [];
  }
  // anything that was in flight when the page went away is sent again (same id) on connect
  for (const item of items) if (item.state === 'sending' || automatic(item)) queue(item);
}

/** A failure that sending again once we are connected may mend: no connection, no ack in time. */
function automatic(item) {
  return item.state === 'failed' && ['offline', 'timeout'].includes(item.error?.code);
}

function queue(item) {
  item.state = 'queued';
  item.error = null;
  item.sent_at = null;
}

export function clearOutbox() {
  if (key) localStorage.removeItem(key);
  items = [];
  key = null;
}

function save() {
  if (key) localStorage.setItem(key, JSON.stringify(items));
}

function touch(item) {
  save();
  changed(`messages:${item.conversation_id}`);
}

export function useTransport(sync) {
  transport = sync;
}

export function pendingFor(conversationId) {
  return items.filter((item) => item.conversation_id === conversationId);
}

function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `w${Date.now().toString(36)}${[...bytes].map((b) => b.toString(36).padStart(2, '0')).join('')}`.slice(0, 40);
}

/** Queue a text message; it is sent now if we are connected. */
export function sendText(conversationId, text, replyTo = null, { mentions = [] } = {}) {
  const item = {
    client_id: newClientId(),
    conversation_id: conversationId,
    text,
    mentions, // the ids of the group's members it names (@)
    reply_to: replyTo ? replyTo.seq : null,
    quote: replyTo ? { seq: replyTo.seq, sender_id: replyTo.sender_id, text: replyTo.text, kind: replyTo.kind, media: replyTo.media } : null,
    created_at: Date.now(),
    state: 'queued',
    error: null,
    sent_at: null,
  };
  items.push(item);
  transmit(item); // or it waits, queued, for the connection
  touch(item);
  return item;
}

export function retry(clientId) {
  const item = items.find((i) => i.client_id === clientId);
  if (!item) return;
  queue(item);
  transmit(item);
  touch(item);
}

export function discard(clientId) {
  const item = items.find((i) => i.client_id === clientId);
  if (!item) return;
  items = items.filter((i) => i !== item);
  touch(item);
}

function transmit(item) {
  const frame = { type: 'send', id: item.client_id, conversation_id: item.conversation_id, text: item.text };
  if (item.reply_to) frame.reply_to = item.reply_to;
  if (item.mentions?.length) frame.mentions = item.mentions;
  if (transport?.send(frame)) {
    item.state = 'sending';
    item.sent_at = Date.now();
    watch();
  } else {
    queue(item); // sent when the connection is back (flush)
  }
}

function fail(item, error) {
  item.state = 'failed';
  item.error = error;
  item.sent_at = null;
}

/** Connected (again): send everything waiting, with its original id (the server stores it once). */
export function flush() {
  const waiting = items.filter((item) => item.state === 'queued' || item.state === 'sending' || automatic(item));
  for (const item of waiting) {
    transmit(item);
    changed(`messages:${item.conversation_id}`);
  }
  save();
}

/** The connection dropped: what was in flight waits, and goes again on reconnect. */
export function disconnected() {
  for (const item of items) {
    if (item.state !== 'sending') continue;
    queue(item);
    changed(`messages:${item.conversation_id}`);
  }
}

/** An ack frame for a send (also for a retried one the server had already stored). */
export function acked(ref, message) {
  const item = items.find((i) => i.client_id === ref);
  if (item) {
    items = items.filter((i) => i !== item);
    touch(item);
  }
  return Boolean(item);
}

/** An error frame for a send: the server refused it. */
export function refused(ref, error) {
  const item = items.find((i) => i.client_id === ref);
  if (!item) return false;
  fail(item, error);
  touch(item);
  return true;
}

// a message of ours arriving through the log settles its send even if the ack was lost
onMessage((message) => {
  if (!message.client_id || message.sender_id !== state.me?.id) return;
  const item = items.find((i) => i.client_id === message.client_id);
  if (item) {
    items = items.filter((i) => i !== item);
    touch(item);
  }
});

// a send whose ack does not come in time is marked failed (Retry), and sent again on reconnect;
// one waiting for a connection just waits
function watch() {
  if (timer) return;
  timer = setInterval(() => {
    const now = Date.now();
    let waiting = false;
    for (const item of items) {
      if (item.state !== 'sending') continue;
      waiting = true;
      if (now - item.sent_at > ACK_WITHIN_MS) {
        fail(item, { code: 'timeout' });
        touch(item);
      }
    }
    if (!waiting) {
      clearInterval(timer);
      timer = null;
    }
  }, 1000);
}
