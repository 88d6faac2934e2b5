// What people do, as REST calls. Each updates the state from the server's answer right away; the
// matching event from the log arrives later and changes nothing more (handlers are idempotent).

import { del, get, patch, post, put, seedMedia, uploadMedia } from './api.js';
import { go } from './router.js';
import { applyMessage, changed, chatOf, ensureMembers, forgetMessage, rememberAccount, state, upsertConversation } from './store.js';

let sync = null;

export function useSync(instance) {
  sync = instance;
}

// ---- chats ------------------------------------------------------------------------------------

/** Everything in this conversation has been seen. */
export function markRead(conversationId) {
  const conv = state.conversations.get(conversationId);
  if (!conv || (conv.read_seq >= conv.last_seq && !conv.unread)) return;
  state.conversations.set(conversationId, { ...conv, read_seq: conv.last_seq, unread: 0, mentioned: false });
  changed('conversations');
  sync?.read(conversationId, conv.last_seq);
}

export async function setPrefs(conversationId, prefs) {
  upsertConversation(await patch(`/conversations/${conversationId}/prefs`, prefs));
}

export async function openDirect(userId) {
  const conv = await post('/conversations/direct', { user_id: userId });
  upsertConversation(conv);
  go(`chats/${conv.id}`);
  return conv;
}

export async function createGroup(name, userIds) {
  const conv = await post('/conversations/groups', { name, user_ids: userIds });
  upsertConversation(conv);
  go(`chats/${conv.id}`);
  return conv;
}

export async function renameGroup(conversationId, name) {
  upsertConversation(await patch(`/conversations/${conversationId}`, { name }));
}

export async function addMembers(conversationId, userIds) {
  upsertConversation(await post(`/conversations/${conversationId}/members`, { user_ids: userIds }));
  await ensureMembers(conversationId, { force: true });
}

export async function removeMember(conversationId, userId) {
  await del(`/conversations/${conversationId}/members/${userId}`);
  await ensureMembers(conversationId, { force: true });
}

export async function leaveGroup(conversationId) {
  await post(`/conversations/${conversationId}/leave`);
}

export async function recall(conversationId, seq) {
  const message = await post(`/conversations/${conversationId}/messages/${seq}/recall`);
  const chat = chatOf(conversationId);
  chat.items.set(seq, message);
  changed(`messages:${conversationId}`);
  const conv = state.conversations.get(conversationId);
  if (conv?.last_message?.seq === seq) {
    state.conversations.set(conversationId, { ...conv, last_message: message });
    changed('conversations');
  }
}

/** Delete a message for me only (all my devices; the others still see it). */
export async function hideMessage(conversationId, seq) {
  const conv = await post(`/conversations/${conversationId}/messages/${seq}/hide`);
  forgetMessage(conversationId, seq);
  if (conv?.id === conversationId) upsertConversation(conv); // its preview and unread count without it
}

// ---- contacts ---------------------------------------------------------------------------------

export const lookup = (handle) => get(`/users/lookup?handle=${encodeURIComponent(handle)}`);

// Strangers are reached by their handle: an id reaches only someone you already know.
export async function requestFriend(handle, greeting) {
  return post('/friend-requests', { handle, greeting });
}

export async function acceptRequest(requestId) {
  const result = await post(`/friend-requests/${requestId}/accept`);
  state.requests.delete(requestId);
  if (result.friend) state.friends.set(result.friend.user.id, result.friend);
  changed('requests');
  changed('friends');
  return result;
}

export async function declineRequest(requestId) {
  await post(`/friend-requests/${requestId}/decline`);
  state.requests.delete(requestId);
  changed('requests');
}

export async function cancelRequest(requestId) {
  await post(`/friend-requests/${requestId}/cancel`);
  state.requests.delete(requestId);
  changed('requests');
}

export async function setRemark(userId, remark) {
  const friend = await patch(`/friends/${userId}`, { remark });
  state.friends.set(userId, friend);
  changed('friends');
  changed('conversations');
}

export async function removeFriend(userId) {
  await del(`/friends/${userId}`);
  state.friends.delete(userId);
  changed('friends');
}

export async function block(user) {
  await post('/blocks', { handle: user.handle });
  state.blocked.set(user.id, user);
  const friend = state.friends.get(user.id);
  if (friend) state.friends.set(user.id, { ...friend, blocked: true });
  changed('blocked');
  changed('friends');
}

export async function unblock(userId) {
  await del(`/blocks/${userId}`);
  state.blocked.delete(userId);
  const friend = state.friends.get(userId);
  if (friend) state.friends.set(userId, { ...friend, blocked: false });
  changed('blocked');
  changed('friends');
}

// ---- official accounts (docs/platform.md) ------------------------------------------------------

export async function searchAccounts(words) {
  const { accounts } = await get(`/official-accounts?q=${encodeURIComponent(words)}`);
  accounts.forEach(rememberAccount);
  return accounts;
}

export async function loadAccount(accountId) {
  const card = await get(`/official-accounts/${accountId}`);
  rememberAccount(card);
  return card;
}

/** Follow an account and open its conversation. */
export async function follow(accountId, { open = true } = {}) {
  const { account, conversation_id: id } = await put(`/official-accounts/${accountId}/follow`);
  rememberAccount(account);
  if (!state.conversations.has(id)) upsertConversation(await get(`/conversations/${id}`));
  if (open) go(`chats/subscriptions/${id}`);
  return id;
}

/** Follow through a QR code's ticket (#/contacts/scan/<ticket>), then open the account's chat. */
export async function scanTicket(ticket) {
  const { account, conversation_id: id } = await post('/official-accounts/scan', { ticket });
  rememberAccount(account);
  if (!state.conversations.has(id)) upsertConversation(await get(`/conversations/${id}`));
  go(`chats/subscriptions/${id}`, { replace: true });
  return id;
}

export async function unfollow(accountId) {
  await del(`/official-accounts/${accountId}/follow`);
  const known = state.accounts.get(accountId);
  if (known) rememberAccount({ ...known, following: false });
}

/** A tap on a button of an account's menu: its key (a click button) or its URL (a view button). */
export function menuEvent(accountId, button) {
  const body = button.type === 'view' ? { url: button.url } : { key: button.key };
  return post(`/official-accounts/${accountId}/menu-events`, body);
}

// ---- me ---------------------------------------------------------------------------------------

export async function updateProfile(changes) {
  state.me = await patch('/me', changes);
  state.users.set(state.me.id, state.me);
  changed('me');
}

/** Upload a picture to be an avatar; resolves to its media id. */
async function uploadAvatar(file) {
  const media = await uploadMedia(file, { kind: 'image', name: file.name || 'avatar' }).promise;
  seedMedia(media.id, file, { thumbnail: true }); // show it at once, without fetching it back
  return media.id;
}

export async function setAvatar(file) {
  const user = await put('/me/avatar', { media_id: await uploadAvatar(file) });
  if (user?.id === state.me.id) state.me = user;
  else state.me = await get('/me');
  state.users.set(state.me.id, state.me);
  changed('me');
  changed('users');
}

export async function removeAvatar() {
  const user = await del('/me/avatar');
  state.me = user?.id === state.me.id ? user : { ...state.me, avatar: undefined };
  state.users.set(state.me.id, state.me);
  changed('me');
  changed('users');
}

export async function setGroupAvatar(conversationId, file) {
  const conv = await put(`/conversations/${conversationId}/avatar`, { media_id: await uploadAvatar(file) });
  if (conv?.id === conversationId) upsertConversation(conv);
}

export async function removeGroupAvatar(conversationId) {
  const conv = await del(`/conversations/${conversationId}/avatar`);
  if (conv?.id === conversationId) upsertConversation(conv);
  else {
    const known = state.conversations.get(conversationId);
    if (known) upsertConversation({ ...known, avatar: undefined });
  }
}

export async function changePassword(oldPassword, newPassword) {
  await post('/me/password', { old_password: oldPassword, new_password: newPassword });
}

export async function loadDevices() {
  const { devices } = await get('/me/devices');
  state.devices = devices;
  changed('devices');
}

export async function revokeDevice(deviceId) {
  await del(`/me/devices/${deviceId}`);
  state.devices = (state.devices || []).filter((d) => d.id !== deviceId);
  changed('devices');
}

let signOutHook = async () => {};

/** main.js provides the sign-out (it owns the session and the connection). */
export function useSignOut(fn) {
  signOutHook = fn;
}

/** Sign this device out; `{ server: false }` when the server has ended the session already. */
export function signOut(options) {
  return signOutHook(options);
}

/** Share a place in a conversation (sent at once over REST: a place is small and never queued). */
export async function sendPlace(conversationId, place) {
  const id = `p${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  const { message } = await post(`/conversations/${conversationId}/messages`, { id, location: place });
  applyMessage(message);
  return message;
}
