// Pictures, voice notes, videos and files on their way out. Each is uploaded (POST /media, the file as the
// raw body, with progress), then sent as a message referring to its media id. Like the outbox, each
// gets a client id when it is written and keeps it through retries, so the server stores the
// message once. The bytes live only in this page: a send still pending when the page goes away is
// not sent again (a File cannot be kept in localStorage).
//
// States: "sending" (uploading, then sending the message) -> sent (leaves, becomes the message), or
// "failed" (refused or unreachable) -> Retry, Send as a file (a picture refused as a picture), Delete.

import { ApiError, post, seedMedia, uploadMedia } from './api.js';
import { applyMessage, changed, onMessage, state } from './store.js';

const AT_ONCE = 3; // uploads in flight at once (the server takes 4 of a person's; one is left for an avatar)
let running = 0;
const waiting = [];

function slot() {
  if (running < AT_ONCE) {
    running += 1;
    return Promise.resolve();
  }
  return new Promise((resolve) => waiting.push(resolve));
}

function release() {
  const next = waiting.shift();
  if (next) next();
  else running -= 1;
}

let items = []; // [{client_id, conversation_id, kind, file, name, mime, size, width, height, duration_ms, local_url, progress, state, error, media, created_at}]
const progressWatchers = new Map(); // client id -> Set(fn(fraction))

function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `m${Date.now().toString(36)}${[...bytes].map((b) => b.toString(36).padStart(2, '0')).join('')}`.slice(0, 40);
}

function touch(item) {
  changed(`messages:${item.conversation_id}`);
}

export function uploadsFor(conversationId) {
  return items.filter((item) => item.conversation_id === conversationId);
}

/** Call fn with the fraction uploaded (0..1) as it grows; forgotten once the send settles. */
export function watchProgress(clientId, fn) {
  if (!progressWatchers.has(clientId)) progressWatchers.set(clientId, new Set());
  progressWatchers.get(clientId).add(fn);
}

function progressed(item, fraction) {
  item.progress = fraction;
  for (const fn of progressWatchers.get(item.client_id) || []) fn(fraction);
}

/**
 * Send a file as a message of `kind` (image, voice, video or file). `details` may give width and height
 * (a picture, a video) or duration_ms (a voice note, a video) so the pending bubble has its final size at once, and
 * replyTo, the message it answers.
 */
export function sendMedia(conversationId, file, kind, details = {}) {
  const item = {
    client_id: newClientId(),
    conversation_id: conversationId,
    kind,
    file,
    name: details.name || file.name || kind,
    mime: file.type || 'application/octet-stream',
    size: file.size,
    width: details.width || null,
    height: details.height || null,
    duration_ms: details.duration_ms ?? null,
    local_url: kind === 'file' ? null : URL.createObjectURL(file),
    progress: 0,
    state: 'sending',
    error: null,
    media: null,
    abort: null,
    created_at: Date.now(),
    turn: null,
    reply_to: details.replyTo ? details.replyTo.seq : null,
    quote: details.replyTo ? { seq: details.replyTo.seq, sender_id: details.replyTo.sender_id, text: details.replyTo.text, kind: details.replyTo.kind } : null,
  };
  newTurn(item);
  items.push(item);
  touch(item);
  run(item);
  return item;
}

// Uploads run side by side, but their messages go in the order they were written: each waits for
// the ones before it in its conversation to be sent (or to fail) before it is sent itself.
function newTurn(item) {
  item.turn = new Promise((resolve) => {
    item.endTurn = resolve;
  });
}

function waitForEarlier(item) {
  const index = items.indexOf(item);
  const earlier = items.slice(0, index).filter((i) => i.conversation_id === item.conversation_id && i.state === 'sending');
  return Promise.all(earlier.map((i) => i.turn));
}

async function run(item) {
  try {
    if (!item.media) {
      await slot();
      let media;
      try {
        if (!items.includes(item)) return; // deleted while it waited
        const job = uploadMedia(item.file, { kind: item.kind, name: item.name, onprogress: (f) => progressed(item, f) });
        item.abort = job.abort;
        media = await job.promise;
      } finally {
        release();
      }
      item.abort = null;
      if (!items.includes(item)) return; // deleted meanwhile
      item.media = media;
      // what we uploaded is what the server keeps (cleaned of metadata): show it from here
      if (media.kind === 'image') {
        seedMedia(media.id, item.file, { thumbnail: true });
        seedMedia(media.id, item.file);
      } else if (media.kind === 'voice') {
        seedMedia(media.id, item.file);
      }
    }
    await waitForEarlier(item);
    if (!items.includes(item)) return;
    const body = { id: item.client_id, media_id: item.media.id };
    if (item.reply_to) body.reply_to = item.reply_to;
    const { message } = await post(`/conversations/${item.conversation_id}/messages`, body);
    settle(item);
    applyMessage(message);
  } catch (error) {
    item.abort = null;
    if (!items.includes(item)) return;
    item.state = 'failed';
    item.error = error;
    item.endTurn();
    touch(item);
  }
}

function settle(item) {
  item.endTurn();
  if (!items.includes(item)) return;
  items = items.filter((i) => i !== item);
  progressWatchers.delete(item.client_id);
  // the bubble that showed it is replaced by the message's; let it draw first
  if (item.local_url) setTimeout(() => URL.revokeObjectURL(item.local_url), 10_000);
  touch(item);
}

/**
 * Upload a picture that is not a message (one of a Moments post's): it takes its turn with the
 * other uploads, and what is uploaded is put in the media cache under its id (never fetched back).
 * onprogress gets the fraction sent. Returns {promise (resolves to the Media), abort}.
 */
export function uploadImage(file, { onprogress = () => {} } = {}) {
  let job = null;
  let aborted = false;
  const promise = (async () => {
    await slot();
    try {
      if (aborted) throw Object.assign(new ApiError(0, 'aborted', 'upload cancelled'), { upload: 'image' });
      job = uploadMedia(file, { kind: 'image', name: file.name || 'photo', onprogress });
      const media = await job.promise;
      seedMedia(media.id, file, { thumbnail: true });
      seedMedia(media.id, file);
      return media;
    } finally {
      release();
    }
  })();
  return {
    promise,
    abort() {
      aborted = true;
      job?.abort();
    },
  };
}

export function retryUpload(clientId, { asFile = false } = {}) {
  const item = items.find((i) => i.client_id === clientId);
  if (!item || item.state !== 'failed') return;
  if (asFile && item.kind !== 'file') {
    item.kind = 'file';
    item.media = null;
    item.width = item.height = null;
    if (item.local_url) URL.revokeObjectURL(item.local_url);
    item.local_url = null;
  }
  item.state = 'sending';
  item.error = null;
  item.progress = item.media ? 1 : 0;
  newTurn(item);
  touch(item);
  run(item);
}

export function discardUpload(clientId) {
  const item = items.find((i) => i.client_id === clientId);
  if (!item) return;
  item.abort?.();
  item.endTurn();
  items = items.filter((i) => i !== item);
  progressWatchers.delete(clientId);
  if (item.local_url) URL.revokeObjectURL(item.local_url);
  touch(item);
}

/** Signed out: nothing of the last person's stays. */
export function clearUploads() {
  for (const item of items) {
    item.abort?.();
    item.endTurn();
    if (item.local_url) URL.revokeObjectURL(item.local_url);
  }
  items = [];
  progressWatchers.clear();
}

// our message arriving through the log (before the REST answer, or from another tab) settles it
onMessage((message) => {
  if (!message.client_id || message.sender_id !== state.me?.id) return;
  const item = items.find((i) => i.client_id === message.client_id);
  if (item && item.media) settle(item);
});
