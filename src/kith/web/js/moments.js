// Moments (docs/moments.md): the posts we have seen, the feeds they are in (the timeline, albums),
// and the notices of likes and comments on ours. Views subscribe to 'moments' (posts and feeds) and
// 'moment-notes' (the notices). The server decides who sees what; this only keeps what it answered.
//
// The notices come from the event log (moment.liked, moment.commented). They are kept in this
// browser (localStorage, the newest 100) with how far the log was read for them and which were seen,
// so the badge survives a reload; on start the part of the log since the last visit is read for
// them (at most the last 1,000 events, two pages).

import { del, get, post, put } from './api.js';
import { changed, isMe, onEvent, state, subscribe } from './store.js';
import { t } from './i18n.js';

const PAGE = 20;
const KEEP_NOTES = 100;
const LOOK_BACK = 1000; // events of the log read for notices at start, at most
const NOTE_TYPES = new Set(['moment.liked', 'moment.commented']);
export const TIMELINE = 'timeline';

export const moments = {
  posts: new Map(), // post id -> Post, as the server last showed it to us
  feeds: new Map(), // 'timeline' | 'user:<id>' -> {ids, next, loaded, loading, error, at}
  notes: [], // [{seq, type, at, data}], newest first
  seen: 0, // the seq of the newest notice seen
  upto: 0, // the log has been read for notices up to this seq
  userId: null,
  known: false, // this browser kept a record for this person (else old notices count as seen)
};

const storageKey = (userId) => `kith.moments.${userId}`;

/** Who is signed in changed: forget the last person's posts, load this one's notices. */
export function resetMoments(userId) {
  moments.posts = new Map();
  moments.feeds = new Map();
  moments.notes = [];
  moments.seen = 0;
  moments.upto = 0;
  moments.known = false;
  moments.userId = userId;
  if (userId) {
    try {
      const saved = JSON.parse(localStorage.getItem(storageKey(userId)) || 'null');
      if (saved && Array.isArray(saved.notes)) {
        moments.notes = saved.notes.filter((n) => NOTE_TYPES.has(n?.type) && Number.isInteger(n.seq)).slice(0, KEEP_NOTES);
        moments.seen = Number(saved.seen) || 0;
        moments.upto = Number(saved.upto) || 0;
        moments.known = true;
      }
    } catch {
      // no storage, or something unreadable: start afresh
    }
  }
  changed('moments');
  changed('moment-notes');
}

/** Signed out: nothing of theirs stays in this browser. */
export function forgetMoments() {
  const userId = moments.userId;
  resetMoments(null);
  try {
    if (userId) localStorage.removeItem(storageKey(userId));
  } catch {
    // no storage
  }
}

function save() {
  if (!moments.userId) return;
  try {
    localStorage.setItem(storageKey(moments.userId), JSON.stringify({ seen: moments.seen, upto: moments.upto, notes: moments.notes }));
    moments.known = true;
  } catch {
    // full or unavailable: the notices last as long as the page
  }
}

// where the log stands when the page goes away, so the next start reads only what came after
const remember = () => {
  if (!moments.userId || !state.ready) return;
  moments.upto = Math.max(moments.upto, state.since);
  save();
};
window.addEventListener('pagehide', remember);
document.addEventListener('visibilitychange', () => document.visibilityState === 'hidden' && remember());

// ---- posts and feeds --------------------------------------------------------------------------

// a friend removed, blocked or unblocked changes what the server shows: feeds are read again when next shown
subscribe(['friends', 'blocked'], () => {
  for (const feed of moments.feeds.values()) feed.at = 0;
});

export function feedOf(key) {
  let feed = moments.feeds.get(key);
  if (!feed) {
    feed = { ids: [], next: null, loaded: false, loading: false, error: null, at: 0 };
    moments.feeds.set(key, feed);
  }
  return feed;
}

export const albumKey = (userId) => `user:${userId}`;
const feedPath = (key) => (key === TIMELINE ? '/moments/timeline' : `/moments/users/${Number(key.slice(5))}/posts`);

function keep(p) {
  moments.posts.set(p.id, p);
}

/**
 * Load a feed's first page (again), or with {more: true} the page after what we have. A fresh first
 * page replaces the top of the feed and keeps the older pages already loaded (cursors are post ids).
 */
export async function loadFeed(key, { more = false } = {}) {
  const feed = feedOf(key);
  if (feed.loading || (more && (!feed.loaded || !feed.next))) return;
  feed.loading = true;
  feed.error = null;
  changed('moments');
  try {
    const query = `?limit=${PAGE}${more ? `&before=${feed.next}` : ''}`;
    const page = await get(feedPath(key) + query);
    page.posts.forEach(keep);
    const ids = page.posts.map((p) => p.id);
    if (more) {
      feed.ids = [...feed.ids, ...ids.filter((id) => !feed.ids.includes(id))];
      feed.next = page.next ?? null;
    } else if (page.next && feed.loaded && feed.ids.some((id) => id < page.next)) {
      feed.ids = [...ids, ...feed.ids.filter((id) => id < page.next)];
    } else {
      feed.ids = ids;
      feed.next = page.next ?? null;
    }
    feed.loaded = true;
    feed.at = Date.now();
  } catch (error) {
    feed.error = error;
    throw error;
  } finally {
    feed.loading = false;
    changed('moments');
  }
}

/** The posts of a feed that we still have, in order. */
export function feedPosts(key) {
  return feedOf(key).ids.map((id) => moments.posts.get(id)).filter(Boolean);
}

/** One post, from the server (it throws a 404 ApiError for a post gone or not ours to see). */
export async function loadPost(postId) {
  try {
    const p = await get(`/moments/posts/${postId}`);
    keep(p);
    changed('moments');
    return p;
  } catch (error) {
    if (error.status === 404) forgetPost(postId);
    throw error;
  }
}

function forgetPost(postId) {
  moments.posts.delete(postId);
  for (const feed of moments.feeds.values()) feed.ids = feed.ids.filter((id) => id !== postId);
  changed('moments');
}

/** Post; `id` is the client's id for it, so sending it again never makes a second post. */
export async function createPost(body) {
  const p = await post('/moments/posts', body);
  keep(p);
  for (const key of [TIMELINE, albumKey(p.author.id)]) {
    const feed = moments.feeds.get(key);
    if (feed?.loaded && !feed.ids.includes(p.id)) feed.ids = [p.id, ...feed.ids].sort((a, b) => b - a);
  }
  changed('moments');
  return p;
}

export async function deletePost(postId) {
  await del(`/moments/posts/${postId}`);
  forgetPost(postId);
}

export async function setLiked(postId, on) {
  const p = await (on ? put(`/moments/posts/${postId}/like`) : del(`/moments/posts/${postId}/like`));
  keep(p);
  changed('moments');
  return p;
}

export async function addComment(postId, text, replyTo = null) {
  const body = { text };
  if (replyTo) body.reply_to = replyTo;
  const comment = await post(`/moments/posts/${postId}/comments`, body);
  const p = moments.posts.get(postId);
  if (p && !p.comments.some((c) => c.id === comment.id)) {
    moments.posts.set(postId, { ...p, comments: [...p.comments, comment] });
    changed('moments');
  }
  return comment;
}

export async function deleteComment(postId, commentId) {
  await del(`/moments/comments/${commentId}`);
  const p = moments.posts.get(postId);
  if (p) {
    moments.posts.set(postId, { ...p, comments: p.comments.filter((c) => c.id !== commentId) });
    changed('moments');
  }
}

export const loadSettings = () => get('/moments/settings');
export const saveWindow = (days) => put('/moments/settings', { window_days: days });

// ---- notices ----------------------------------------------------------------------------------

export function unseenNotes() {
  return moments.notes.filter((n) => n.seq > moments.seen).length;
}

/** The notices list was looked at: the badge goes. */
export function markNotesSeen() {
  const newest = moments.notes[0]?.seq || 0;
  if (newest <= moments.seen) return;
  moments.seen = newest;
  save();
  changed('moment-notes');
}

export function clearNotes() {
  moments.seen = Math.max(moments.seen, moments.notes[0]?.seq || 0);
  moments.notes = [];
  save();
  changed('moment-notes');
}

function addNote(event, { seen = false } = {}) {
  if (moments.notes.some((n) => n.seq === event.seq)) return false;
  const note = { seq: event.seq, type: event.type, at: event.at || event.data?.created_at || Date.now(), data: event.data };
  if (seen) note.old = true; // never shown as new
  moments.notes = [...moments.notes, note].sort((a, b) => b.seq - a.seq).slice(0, KEEP_NOTES);
  if (seen) moments.seen = Math.max(moments.seen, event.seq);
  return true;
}

/**
 * Read the log between the last visit and `head` (the position the snapshot was read at) for
 * notices; the socket brings what comes after. In a browser without a record of this person, what
 * is found is old news: listed, but not counted as new.
 */
export async function catchUpNotes(head) {
  const userId = moments.userId;
  const fresh = !moments.known;
  let since = moments.upto > head ? 0 : moments.upto; // a log restored from a backup: look again
  since = Math.max(since, head - LOOK_BACK, 0);
  let added = false;
  try {
    while (since < head) {
      const page = await get(`/sync?since=${since}&limit=500`);
      if (moments.userId !== userId) return;
      for (const event of page.events) {
        if (event.seq <= head && NOTE_TYPES.has(event.type)) added = addNote(event, { seen: fresh }) || added;
      }
      if (!page.has_more || page.next_since <= since) break;
      since = page.next_since;
    }
  } catch {
    return; // offline, or signed out meanwhile: the next start tries again
  }
  moments.upto = Math.max(moments.upto, head);
  save();
  if (added) changed('moment-notes');
}

function onNote(data, event) {
  if (!addNote(event)) return;
  moments.upto = Math.max(moments.upto, event.seq);
  save();
  changed('moment-notes');
  // a post of ours on the screen shows the new like or comment
  const postId = data?.post?.id;
  if (moments.posts.has(postId)) loadPost(postId).catch(() => {});
}

onEvent('moment.liked', onNote);
onEvent('moment.commented', onNote);

// ---- names ------------------------------------------------------------------------------------

/** What to call someone in Moments: your remark for a friend, else their name (yours for you). */
export function who(user) {
  if (!user) return t('Someone');
  if (isMe(user.id)) return state.me?.display_name || user.display_name;
  return state.friends.get(user.id)?.remark || state.friends.get(user.id)?.user.display_name || user.display_name;
}

/** Their avatar as we know it now (a friend's may be newer than the post's copy). */
export function pictureOf(user) {
  if (!user) return null;
  if (isMe(user.id)) return state.me?.avatar || null;
  return state.friends.get(user.id)?.user.avatar ?? user.avatar ?? null;
}
