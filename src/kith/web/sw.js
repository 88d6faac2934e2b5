// kith's service worker (docs/push.md): shows the server's Web Push messages as notifications and,
// on a click, focuses an open kith tab on that chat (or opens one). It caches nothing: the app's
// files are revalidated on every load, so an upgrade never mixes old and new code.
//
// A push carries {kind, conversation_id | request_id, title}; with previews on, also sender, text,
// message_kind and (in groups) group. It never carries more than that.
//
// It speaks the page's language: the page registers /sw.js?lang=zh-CN when it is in Chinese, and
// the worker reads that language's strings (/locales/<lang>.json, as the page does) when it first
// has a notification to show. English, the strings' source, needs nothing; any failure falls back to it.

const LANGUAGES = ['zh-CN'];
const wanted = new URL(self.location).searchParams.get('lang');
const language = LANGUAGES.includes(wanted) ? wanted : 'en';
let catalog = null; // the language's strings, once read
let reading = null;

/** Read the language's strings, once (again after a failure); English when they cannot be read. */
function readCatalog() {
  if (language === 'en' || catalog) return Promise.resolve();
  reading ||= (async () => {
    try {
      const response = await fetch(`/locales/${language}.json`, { cache: 'no-cache' });
      if (response.ok) catalog = await response.json();
    } catch {
      // offline, or no such file: English rather than nothing
    } finally {
      reading = null;
    }
  })();
  return reading;
}

/** The string `english` in the page's language, with {placeholders} filled from `params` (as i18n.js). */
function t(english, params) {
  const text = (catalog && typeof catalog[english] === 'string' && catalog[english]) || english;
  return params ? text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole)) : text;
}

const kindWord = (kind) => ({ image: t('Photo'), voice: t('Voice message'), file: t('File'), location: t('Location'), news: t('Articles') })[kind];

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function describe(data) {
  if (data.kind === 'friend_request') {
    const title = data.sender ? t('{name} wants to be friends', { name: data.sender }) : t('New friend request');
    return { title, body: data.text || '', tag: 'requests', route: 'contacts' };
  }
  const route = typeof data.conversation_id === 'number' ? `chats/${data.conversation_id}` : 'chats';
  const tag = typeof data.conversation_id === 'number' ? `c${data.conversation_id}` : 'kith';
  // the server's title is in English: its one generic title said in the page's language
  const generic = !data.title || data.title === 'New message' ? t('New message') : data.title;
  if (!data.sender && !data.text) return { title: 'kith', body: generic, tag, route };
  const said = data.text || kindWord(data.message_kind) || t('New message');
  return {
    title: data.group || data.sender || 'kith',
    body: data.group && data.sender ? t('{sender}: {text}', { sender: data.sender, text: said }) : said,
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
  event.waitUntil(
    (async () => {
      await readCatalog();
      const { title, body, tag, route } = describe(data);
      await self.registration.showNotification(title, { body, tag, renotify: true, icon: '/icon-192.png', badge: '/icon-192.png', data: { route } });
    })(),
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
