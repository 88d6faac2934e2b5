// Notifications (docs/push.md). Two ways, never both for one message:
//   - while a tab is open but hidden, it shows a Notification itself for each new message (the
//     server pushes nothing to someone with an open socket);
//   - with no tab open, the server's Web Push reaches the service worker (/sw.js), which shows it.
// Both respect mute, and show who wrote and what only if "Show message text" is on (the server's
// push_previews setting, one per account). The Notifications switch is per browser and account.

import { del, get, post, put } from './api.js';
import { go } from './router.js';
import { conversationTitle, isMe, mentionsMe, nameOf, serverNow, state } from './store.js';
import { previewOf } from './messages/registry.js';
import { locale, t } from './i18n.js';

const RECENT_MS = 2 * 60 * 1000; // a catch-up after a long sleep notifies of no older message than this
const ICON = '/icon-192.png';

let previews = false; // the account's setting, as last read or set here

const flagKey = () => `kith.notify.${state.me?.id}`;

/** What this browser can do: 'none' (no Notification API), 'page' (only while a tab is open), 'push'. */
export function support() {
  if (!('Notification' in window)) return 'none';
  return 'serviceWorker' in navigator && 'PushManager' in window ? 'push' : 'page';
}

export function enabled() {
  return support() !== 'none' && Notification.permission === 'granted' && localStorage.getItem(flagKey()) === '1';
}

export function previewsOn() {
  return previews;
}

/** Register the service worker, and open the chat a clicked notification names. */
export function startWorker() {
  if (!('serviceWorker' in navigator)) return;
  // the worker cannot read the page's language itself: its address tells it (English needs nothing)
  const script = locale === 'en' ? '/sw.js' : `/sw.js?lang=${encodeURIComponent(locale)}`;
  navigator.serviceWorker.register(script).catch((error) => console.warn('no service worker', error));
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data?.type === 'kith.open' && typeof event.data.route === 'string') go(event.data.route);
  });
}

/** The account's preview setting, as the server has it now. */
export async function loadSettings() {
  previews = (await get('/push/settings')).previews;
}

/** After sign-in: read the preview setting; keep this device's push subscription known to the server. */
export async function resume() {
  try {
    await loadSettings();
    if (enabled() && support() === 'push') await subscribe();
  } catch (error) {
    console.warn('notifications: could not resume', error);
  }
}

function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function sameKey(subscription, key) {
  const current = subscription.options?.applicationServerKey;
  if (!current) return true; // the browser does not say: assume it is ours
  const a = new Uint8Array(current);
  return a.length === key.length && a.every((byte, i) => byte === key[i]);
}

/** Subscribe this browser to pushes (or renew its subscription) and tell the server. */
async function subscribe() {
  const registration = await navigator.serviceWorker.ready;
  const key = keyBytes((await get('/push/key')).public_key);
  let subscription = await registration.pushManager.getSubscription();
  if (subscription && !sameKey(subscription, key)) {
    await subscription.unsubscribe(); // made for another server key (the key file was replaced)
    subscription = null;
  }
  subscription ||= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  await post('/push/subscriptions', subscription.toJSON());
}

/**
 * Turn notifications on (asks the browser's permission first) or off. Returns
 * {on, push}: whether they are on, and whether pushes reach this browser with no tab open.
 */
export async function setEnabled(on) {
  if (!on) {
    localStorage.removeItem(flagKey());
    if (support() === 'push') {
      const registration = await navigator.serviceWorker.getRegistration();
      const subscription = await registration?.pushManager.getSubscription();
      await subscription?.unsubscribe();
    }
    await del('/push/subscriptions/current');
    return { on: false, push: false };
  }
  if (support() === 'none') throw new Error(t('This browser cannot show notifications.'));
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') throw new Error(t('Notifications are blocked for kith in this browser’s site settings.'));
  localStorage.setItem(flagKey(), '1');
  if (support() !== 'push') return { on: true, push: false };
  try {
    await subscribe();
    return { on: true, push: true };
  } catch (error) {
    console.warn('push subscription failed', error);
    return { on: true, push: false }; // still notified while a tab is open
  }
}

export async function setPreviews(on) {
  previews = (await put('/push/settings', { previews: on })).previews;
  return previews;
}

/** New events from the socket: a Notification for each new message, if the tab is hidden. */
export function notifyHidden(events) {
  if (document.visibilityState !== 'hidden' || !enabled()) return;
  for (const event of events) {
    if (event.type !== 'message') continue;
    const m = event.data;
    const conv = state.conversations.get(m.conversation_id);
    // a muted chat is silent, but for a mention of you
    if (!conv || (conv.muted && !mentionsMe(m)) || conv.kind === 'official') continue;
    if (isMe(m.sender_id) || m.sender_id === null || m.recalled || serverNow() - m.created_at > RECENT_MS) continue;
    show(conv, m);
  }
}

function show(conv, m) {
  let title = 'kith';
  let body = t('New message');
  if (previews) {
    title = conversationTitle(conv);
    body = previewOf(m, { nameOf, isMe }, { withSender: conv.kind === 'group' });
  }
  const notification = new Notification(title, { body, tag: `c${conv.id}`, icon: ICON, data: { route: `chats/${conv.id}` } });
  notification.onclick = () => {
    window.focus();
    go(`chats/${conv.id}`);
    notification.close();
  };
}
