// The REST API: one fetch wrapper, one error type, and human words for every error code.

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
export const put = (path) => api('PUT', path);
export const del = (path) => api('DELETE', path);

/** Download a file from the API (e.g. the zip of one's data) and hand it to the browser to save. */
export async function download(path) {
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
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
    const { code = 'error', message = response.statusText, ...fields } = error;
    throw new ApiError(response.status, code, message, fields);
  }
  const name = /filename="([^"]+)"/.exec(response.headers.get('Content-Disposition') || '')?.[1] || 'download';
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

/** Delete the account for good; the token is forgotten at once (every session has ended). */
export async function deleteAccount(password) {
  await api('DELETE', '/me', { password });
  token = null;
}

// What people see. Codes come from the server ({"error": {"code", "message"}}); anything not
// listed falls back to the server's own message, which is written for people too.
const FRIENDLY = {
  network: "Can't reach the server. Check your connection and try again.",
  offline: "You're offline.",
  timeout: 'The server did not answer in time.',
  wrong_credentials: 'Wrong handle or password.',
  handle_taken: 'That handle is taken. Try another one.',
  registration_closed: 'Sign-up is closed on this server. Ask its admin for an account.',
  session_ended: 'You were signed out. Please sign in again.',
  unauthenticated: 'You were signed out. Please sign in again.',
  wrong_password: 'The current password is wrong.',
  rate_limited: 'Too many at once. Please try again in a minute.',
  not_friends: 'You are not friends yet.',
  blocked_by_you: 'You blocked this person. Unblock them first.',
  already_friends: 'You are already friends.',
  self_request: "That's you!",
  no_such_handle: 'Nobody has that handle.',
  friend_limit: 'Too many friends: one of you has reached the limit.',
  request_closed: 'This request was already answered.',
  recall_expired: 'Messages can only be recalled within 2 minutes.',
  not_sender: 'You can only recall your own messages.',
  recalled: 'That message was recalled.',
  no_such_message: 'That message is no longer there.',
  not_owner: 'Only the group owner can do that.',
  not_a_group: 'Only a group can do that.',
  not_a_member: 'They are not in this group.',
  already_members: 'They are already in the group.',
  group_full: 'The group is full.',
  too_large: 'That is too long.',
  client_id_conflict: 'This message clashed with another one. Delete it and send it again.',
  internal: 'Something went wrong on the server. Please try again.',
  not_found: 'That is no longer there.',
};

const FIELD_HINTS = {
  handle: 'A handle is 3 to 32 characters: a–z, 0–9, _ and .',
  password: 'A password must be at least 8 characters.',
  new_password: 'The new password must be at least 8 characters.',
};

function waitWords(seconds) {
  if (!(seconds > 0)) return 'a little while';
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? '' : 's'}`;
}

/** A sentence a person can act on, for any error thrown by api() or returned by the socket. */
export function humanError(error) {
  if (!error) return 'Something went wrong.';
  if (error.code === 'weak_password') {
    const advice = [error.fields?.warning, ...(error.fields?.suggestions || [])].filter(Boolean).join(' ');
    return `That password is too easy to guess.${advice ? ` ${advice}` : ''}`;
  }
  if (error.code === 'rate_limited') return `Too many tries. Try again in ${waitWords(error.fields?.retry_after)}.`;
  if (FRIENDLY[error.code]) return FRIENDLY[error.code];
  const field = error.fields?.field;
  if (error.code === 'invalid' && FIELD_HINTS[field] && /characters|must be/.test(error.message || '')) {
    return FIELD_HINTS[field];
  }
  const message = (error.message || 'Something went wrong.').replace(/^invalid (body|query): /, '');
  return message.charAt(0).toUpperCase() + message.slice(1) + (/[.!?]$/.test(message) ? '' : '.');
}
