// Hash routes: #/chats, #/chats/12, #/contacts/user/5, #/me/devices ...
// A route is {tab, path: [...rest], raw}. Reloading a page keeps its route.

let handler = () => {};

// where invite links lead (views/invites.js): #/invite/<token> in Contacts, #/join/<token> in Chats
const LINKS = { invite: 'contacts', join: 'chats' };

export function parseRoute(hash = location.hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (LINKS[parts[0]]) return { tab: LINKS[parts[0]], path: parts.slice(0, 2), raw: parts.join('/') };
  return { tab: parts[0] || 'chats', path: parts.slice(1), raw: parts.join('/') };
}

/** Whether a hash is where an invite link leads (kept across signing in). */
export function isInviteLink(hash) {
  return /^#\/(invite|join)\/[A-Za-z0-9_-]+$/.test(hash);
}

export function go(path, { replace = false } = {}) {
  const hash = `#/${path.replace(/^\/+/, '')}`;
  if (location.hash === hash) return;
  if (replace) history.replaceState(null, '', hash);
  else location.hash = hash;
  if (replace) handler(parseRoute());
}

export function onRoute(fn) {
  handler = fn;
  window.addEventListener('hashchange', () => handler(parseRoute()));
}

export function currentRoute() {
  return parseRoute();
}
