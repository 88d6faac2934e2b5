// Hash routes: #/chats, #/chats/12, #/contacts/user/5, #/me/devices ...
// A route is {tab, path: [...rest], raw}. Reloading a page keeps its route.

let handler = () => {};

export function parseRoute(hash = location.hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  return { tab: parts[0] || 'chats', path: parts.slice(1), raw: parts.join('/') };
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
