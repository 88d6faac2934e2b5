// The REST API: one fetch wrapper, one error type, and human words for every error code.

import { locale, t, tn } from './i18n.js';

export class ApiError extends Error {
  constructor(status, code, message, fields = {}) {
    super(message);
    this.status = status; // 0 when the server could not be reached
    this.code = code;
    this.fields = fields;
  }
}

let token = null;
let onUnauthenticated = () => {};

const DEVICE_KEY = 'kith.device-key';

/**
 * This browser's sign-in key: random, made once and kept in localStorage (also across sign-outs).
 * Sent with every sign-in, it lets the server tell this browser, which signed in before, from a
 * stranger guessing passwords: strangers' failures never lock it out.
 */
export function deviceKey() {
  try {
    let key = localStorage.getItem(DEVICE_KEY);
    if (!key || !/^[A-Za-z0-9_-]{22,128}$/.test(key)) {
      const bytes = crypto.getRandomValues(new Uint8Array(32));
      key = btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
      localStorage.setItem(DEVICE_KEY, key);
    }
    return key;
  } catch {
    return undefined; // no storage (private mode): sign in without one
  }
}

export function setToken(value) {
  if (value !== token) clearMedia(); // what one person could see is not kept for the next
  token = value;
}

/** Called when the server says our token is no good any more (signed out elsewhere). */
export function whenUnauthenticated(fn) {
  onUnauthenticated = fn;
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network', 'network error');
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      throw new ApiError(response.status, 'bad_response', 'the server sent something unexpected');
    }
  }
  if (!response.ok) {
    const { code = 'error', message = response.statusText, ...fields } = data?.error || {};
    const error = new ApiError(response.status, code, message, fields);
    if (response.status === 401 && token && code !== 'wrong_credentials') onUnauthenticated(error);
    throw error;
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body = {}) => api('POST', path, body);
export const patch = (path, body) => api('PATCH', path, body);
export const put = (path, body) => api('PUT', path, body);
export const del = (path) => api('DELETE', path);

/** GET a file from the API with the token (or POST `body` as JSON); an error answer becomes an ApiError. */
async function fetchFile(path, body = undefined) {
  let response;
  const headers = token ? { Authorization: `Bearer ${token}` } : {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    response = await fetch(`/api/v1${path}`, { method: body === undefined ? 'GET' : 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network', 'network error');
  }
  if (!response.ok) {
    let error = {};
    try {
      error = (await response.json()).error || {};
    } catch {
      // not JSON: the status says enough
    }
    const { code = response.status === 404 ? 'not_found' : 'error', message = response.statusText, ...fields } = error;
    throw new ApiError(response.status, code, message, fields);
  }
  return response;
}

/** A picture the API draws or serves (a QR code, a group's picture through its invite link), as a blob: URL. */
export async function imageUrl(path, body = undefined) {
  return URL.createObjectURL(await (await fetchFile(path, body)).blob());
}

/** Download a file from the API (e.g. the zip of one's data) and hand it to the browser to save. */
export async function download(path) {
  const response = await fetchFile(path);
  const name = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '')?.[1] || 'download';
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

// ---- media --------------------------------------------------------------------------------------
// Media are fetched with the bearer token (an <img src> cannot send it) and shown from blob: URLs.
// What was fetched is kept in a small cache, least recently used first out, its URL revoked then.

const MEDIA_ENTRIES = 120;
const MEDIA_BYTES = 48 * 1024 * 1024;
const mediaCache = new Map(); // key -> {promise, url, size}; Map order is use order, oldest first
let mediaBytes = 0;

const mediaKey = (id, thumbnail) => `${id}${thumbnail ? ':thumb' : ''}`;

async function fetchMedia(path) {
  return (await fetchFile(path)).blob();
}

function evictMedia() {
  for (const [key, entry] of mediaCache) {
    if (mediaCache.size <= MEDIA_ENTRIES && mediaBytes <= MEDIA_BYTES) break;
    if (!entry.url) continue; // still on its way: whoever asked is about to use it
    mediaCache.delete(key);
    mediaBytes -= entry.size;
    URL.revokeObjectURL(entry.url);
  }
}

function keepMedia(key, entry, blob) {
  entry.url = URL.createObjectURL(blob);
  entry.size = blob.size;
  mediaBytes += blob.size;
  evictMedia();
  return entry.url;
}

/**
 * A blob: URL for a media id (its thumbnail with {thumbnail: true}), fetched once and cached.
 * Resolves to the URL; rejects with an ApiError (404 when it is gone or not ours to see).
 */
export function mediaUrl(id, { thumbnail = false } = {}) {
  const key = mediaKey(id, thumbnail);
  let entry = mediaCache.get(key);
  if (entry) {
    mediaCache.delete(key); // most recently used now
    mediaCache.set(key, entry);
    return entry.promise;
  }
  entry = { promise: null, url: null, size: 0 };
  entry.promise = fetchMedia(`/media/${encodeURIComponent(id)}${thumbnail ? '/thumbnail' : ''}`).then(
    (blob) => keepMedia(key, entry, blob),
    (error) => {
      if (mediaCache.get(key) === entry) mediaCache.delete(key); // the next look may succeed
      throw error;
    },
  );
  mediaCache.set(key, entry);
  return entry.promise;
}

function clearMedia() {
  for (const entry of mediaCache.values()) if (entry.url) URL.revokeObjectURL(entry.url);
  mediaCache.clear();
  mediaBytes = 0;
}

/** The cached URL for a media id if it is already here (so a redraw shows it without a flash). */
export function cachedMediaUrl(id, { thumbnail = false } = {}) {
  return mediaCache.get(mediaKey(id, thumbnail))?.url || null;
}

/** Put bytes we already have (what we just uploaded) in the cache under their media id. */
export function seedMedia(id, blob, { thumbnail = false } = {}) {
  const key = mediaKey(id, thumbnail);
  if (mediaCache.has(key)) return;
  const entry = { promise: null, url: null, size: 0 };
  entry.promise = Promise.resolve(keepMedia(key, entry, blob));
  mediaCache.set(key, entry);
}

/** A media file's bytes, fetched afresh and not cached (a video: too big for the cache). */
export function mediaBlob(id) {
  return fetchMedia(`/media/${encodeURIComponent(id)}`);
}

/** Save a media file under its own name (a file message's Download). */
export async function saveMedia(media) {
  const cached = cachedMediaUrl(media.id);
  const url = cached || URL.createObjectURL(await fetchMedia(`/media/${encodeURIComponent(media.id)}`));
  const link = Object.assign(document.createElement('a'), { href: url, download: media.name || 'download' });
  document.body.append(link);
  link.click();
  link.remove();
  if (!cached) setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A name the server accepts: no path separators or control characters, at most 255 bytes. */
export function cleanFileName(name, fallback = 'file') {
  let clean = String(name || '').replace(/[\u0000-\u001f\u007f\/\\]/g, '_').trim();
  if (!clean || clean === '.' || clean === '..') clean = fallback;
  const encoder = new TextEncoder();
  while (encoder.encode(clean).length > 255) {
    const dot = clean.lastIndexOf('.');
    const ext = dot > 0 && clean.length - dot <= 12 ? clean.slice(dot) : '';
    clean = [...clean.slice(0, clean.length - ext.length)].slice(0, -1).join('') + ext;
  }
  return clean;
}

/**
 * Upload a file as media of `kind` (image, voice, file), streamed as the raw body. onprogress gets
 * the fraction sent (0..1). Resolves to the Media; rejects with an ApiError. Returns {promise, abort}.
 */
export function uploadMedia(blob, { kind, name, onprogress = () => {} }) {
  const xhr = new XMLHttpRequest();
  const promise = new Promise((resolve, reject) => {
    const query = `kind=${encodeURIComponent(kind)}&name=${encodeURIComponent(cleanFileName(name))}`;
    xhr.open('POST', `/api/v1/media?${query}`);
    xhr.setRequestHeader('Accept', 'application/json');
    if (token) xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    const type = blob.type && !/^multipart\//i.test(blob.type) ? blob.type : 'application/octet-stream';
    xhr.setRequestHeader('Content-Type', type);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total) onprogress(event.loaded / event.total);
    };
    xhr.onerror = () => reject(Object.assign(new ApiError(0, 'network', 'network error'), { upload: kind }));
    xhr.onabort = () => reject(Object.assign(new ApiError(0, 'aborted', 'upload cancelled'), { upload: kind }));
    xhr.onload = () => {
      let data = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        // not JSON
      }
      if (xhr.status >= 200 && xhr.status < 300 && data?.id) {
        onprogress(1);
        resolve(data);
        return;
      }
      const { code = 'error', message = xhr.statusText || 'upload failed', ...fields } = data?.error || {};
      const error = Object.assign(new ApiError(xhr.status, code, message, fields), { upload: kind });
      if (xhr.status === 401 && token) onUnauthenticated(error);
      reject(error);
    };
    xhr.send(blob);
  });
  return { promise, abort: () => xhr.abort() };
}

/** Delete the account for good; the token is forgotten at once (every session has ended). */
export async function deleteAccount(password) {
  await api('DELETE', '/me', { password });
  token = null;
}

// What people see. Codes come from the server ({"error": {"code", "message"}}); anything not
// listed falls back to the server's own message, which is written for people too.
const FRIENDLY = {
  network: t("Can't reach the server. Check your connection and try again."),
  offline: t("You're offline."),
  timeout: t('The server did not answer in time.'),
  wrong_credentials: t('Wrong handle or password.'),
  handle_taken: t('That handle is taken. Try another one.'),
  registration_closed: t('Sign-up is closed on this server. Ask its admin for an account.'),
  session_ended: t('You were signed out. Please sign in again.'),
  unauthenticated: t('You were signed out. Please sign in again.'),
  wrong_password: t('The current password is wrong.'),
  rate_limited: t('Too many at once. Please try again in a minute.'),
  not_friends: t('You are not friends yet.'),
  blocked_by_you: t('You blocked this person. Unblock them first.'),
  already_friends: t('You are already friends.'),
  self_request: t("That's you!"),
  no_such_handle: t('Nobody has that handle.'),
  friend_limit: t('Too many friends: one of you has reached the limit.'),
  request_closed: t('This request was already answered.'),
  recall_expired: t('Messages can only be recalled within 2 minutes.'),
  not_sender: t('You can only recall your own messages.'),
  recalled: t('That message was recalled.'),
  no_such_message: t('That message is no longer there.'),
  not_owner: t('Only the group owner can do that.'),
  not_a_group: t('Only a group can do that.'),
  not_a_member: t('They are not in this group.'),
  already_members: t('They are already in the group.'),
  group_full: t('The group is full.'),
  no_such_invite: t('This invite link does not work. It may have been changed, withdrawn or used up, or it has expired.'),
  no_such_link: t('That invite link is no longer there.'),
  too_many_links: t('This group has as many invite links as it can. Revoke one first.'),
  too_large: t('That is too long.'),
  client_id_conflict: t('This message clashed with another one. Delete it and send it again.'),
  not_following: t('Follow this account again to write to it.'),
  name_taken: t('An official account of that name exists already. Try another name.'),
  no_such_button: t('That menu button is no longer there.'),
  no_such_ticket: t('This QR code is not valid any more: ask its account for a new one.'),
  internal: t('Something went wrong on the server. Please try again.'),
  not_found: t('That is no longer there.'),
};

// The same codes where an upload was refused (too_large means the file, not the text).
const UPLOAD_FRIENDLY = {
  too_large: t('That file is too big to send.'),
  image_too_large: t('That picture is too big (too many pixels). Try a smaller one.'),
  quota_exceeded: t('Your storage on this server is full. Ask its admin for more room.'),
  not_an_image: t('That is not a picture kith can show (JPEG, PNG, WebP or GIF).'),
  invalid_image: t('That picture could not be read. It may be damaged.'),
  not_audio: t('That recording could not be read.'),
  invalid_audio: t('That recording could not be read.'),
  voice_too_long: t('A voice note can be at most a minute long.'),
  invalid_name: t('That file name cannot be used. Rename the file and try again.'),
  missing_body: t('That file is empty.'),
  aborted: t('The upload was cancelled.'),
  too_many_uploads: t('Too many uploads at once. Try again when the others are done.'),
  unknown_field: t('The upload was not understood by the server.'),
};

const FIELD_HINTS = {
  handle: t('A handle is 3 to 32 characters: a–z, 0–9, _ and .'),
  password: t('A password must be at least 8 characters.'),
  new_password: t('The new password must be at least 8 characters.'),
};

function waitWords(seconds) {
  if (!(seconds > 0)) return t('a little while');
  if (seconds < 90) return tn(seconds, '{n} second', '{n} seconds');
  return tn(Math.ceil(seconds / 60), '{n} minute', '{n} minutes');
}

/** A sentence a person can act on, for any error thrown by api() or returned by the socket. */
export function humanError(error) {
  if (!error) return t('Something went wrong.');
  if (error.code === 'weak_password') {
    // the server's advice is in English
    const advice = locale === 'en' ? [error.fields?.warning, ...(error.fields?.suggestions || [])].filter(Boolean).join(' ') : '';
    return [t('That password is too easy to guess.'), advice].filter(Boolean).join(' ');
  }
  if (error.code === 'handshake_failed') {
    // the server's words say what went wrong (no answer, a timeout, a wrong Token)
    const why = (error.message || '').replace(/^the webhook URL /, '').replace(/^the webhook /, '');
    if (!why) return t('Your webhook did not pass the check.');
    return t('Your webhook did not pass the check: it {why}', { why: why.replace(/\.?$/, '.') });
  }
  if (error.code === 'webhook_url_refused') {
    if (!error.message) return t('kith will not call that address.');
    return t('kith will not call that address: {why}', { why: error.message.replace(/\.?$/, '.') });
  }
  if (error.upload && UPLOAD_FRIENDLY[error.code]) return UPLOAD_FRIENDLY[error.code];
  if (error.upload && error.code === 'rate_limited') return t('Too many uploads. Try again in {wait}.', { wait: waitWords(error.fields?.retry_after) });
  if (error.code === 'rate_limited') return t('Too many tries. Try again in {wait}.', { wait: waitWords(error.fields?.retry_after) });
  if (FRIENDLY[error.code]) return FRIENDLY[error.code];
  const field = error.fields?.field;
  if (error.code === 'invalid' && FIELD_HINTS[field] && /characters|must be/.test(error.message || '')) {
    return FIELD_HINTS[field];
  }
  if (!error.message) return t('Something went wrong.');
  // the server's own words, in English: in Chinese, after a sentence that says it failed
  const message = error.message.replace(/^invalid (body|query): /, '');
  const sentence = message.charAt(0).toUpperCase() + message.slice(1) + (/[.!?]$/.test(message) ? '' : '.');
  return locale === 'en' ? sentence : t('That did not work: {reason}', { reason: sentence });
}
