// kith's service worker (docs/push.md): shows the server's Web Push messages as notifications and,
// on a click, focuses an open kith tab on that chat (or opens one). It caches nothing: the app's
// files are revalidated on every load, so an upgrade never mixes old and new code.
//
// A push carries {kind, conversation_id | request_id, title}; with previews on, also sender, text,
// message_kind and (in groups) group. It never carries more than that.

const KIND_WORDS = { image: 'Photo', voice: 'Voice message', file: 'File', location: 'Location', news: 'Articles' };

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function describe(data) {
  if (data.kind === 'friend_request') {
    const title = data.sender ? `${data.sender} wants to be friends` : 'New friend request';
    return { title, body: data.text || '', tag: 'requests', route: 'contacts' };
  }
  const route = typeof data.conversation_id === 'number' ? `chats/${data.conversation_id}` : 'chats';
  const tag = typeof data.conversation_id === 'number' ? `c${data.conversation_id}` : 'kith';
  if (!data.sender && !data.text) return { title: 'kith', body: data.title || 'New message', tag, route };
  const said = data.text || KIND_WORDS[data.message_kind] || 'New message';
  return {
    title: data.group || data.sender || 'kith',
    body: data.group && data.sender ? `${data.sender}: ${said}` : said,
    tag,
    route,
  };
}

self.addEventListener('push', (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch {
    data = {};
  }
  const { title, body, tag, route } = describe(data);
  event.waitUntil(
    self.registration.showNotification(title, { body, tag, renotify: true, icon: '/icon-192.png', badge: '/icon-192.png', data: { route } }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const route = event.notification.data?.route || 'chats';
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
      if (open) {
        await open.focus();
        open.postMessage({ type: 'kith.open', route });
        return;
      }
      await self.clients.openWindow(`/#/${route}`);
    })(),
  );
});
