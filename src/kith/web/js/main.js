// Start-up: sign in (or restore the session), load a snapshot, follow the event log live.
//
//   api.js      REST calls and human error messages
//   store.js    the state, and how each event changes it
//   sync.js     the WebSocket: resume from the last seq, reconnect, catch up
//   outbox.js   sends waiting for their ack (retries reuse the client id)
//   actions.js  what people do (REST calls that update the state)
//   notify.js   notifications: a hidden tab's own, and Web Push through the service worker (/sw.js)
//   views/      the screens; views/tabs.js lists the tabs
//   messages/   how each kind of message is shown

import './messages/index.js';
import { del, humanError, setToken, whenUnauthenticated } from './api.js';
import { clearSession, loadSession, saveSession } from './session.js';
import { applyEvents, applyMessage, changed, loadSnapshot, reset, state } from './store.js';
import { Sync } from './sync.js';
import { acked, clearOutbox, disconnected, flush, loadOutbox, refused, useTransport } from './outbox.js';
import { clearUploads } from './uploads.js';
import { stopVideo } from './messages/video.js';
import { catchUpNotes, forgetMoments, resetMoments } from './moments.js';
import { dropDraft } from './views/moment-compose.js';
import { useSignOut, useSync } from './actions.js';
import { currentRoute, go, isInviteLink, onRoute } from './router.js';
import { mountShell } from './views/shell.js';
import { mountAuth } from './views/auth.js';
import { h, replace } from './ui/dom.js';
import { emptyState } from './ui/widgets.js';
import { notifyHidden, resume as resumeNotifications, startWorker } from './notify.js';
import { clearTyping, heardTyping, useTypingTransport } from './typing.js';
import { t } from './i18n.js';

const root = document.getElementById('app');
let shell = null;
let sync = null;
let session = null;

onRoute((route) => shell?.show(route));
whenUnauthenticated(() => endSession(t('You were signed out. Please sign in again.')));
useSignOut(async ({ server = true, notice = '' } = {}) => {
  try {
    if (server) await del('/sessions/current');
  } catch {
    // offline or already signed out: forgetting the token here is what matters
  }
  endSession(notice);
});

function start() {
  loadAttempt = 0;
  session = loadSession();
  if (!session) {
    showAuth();
    return;
  }
  setToken(session.token);
  reset(session.user, session.device.id);
  loadOutbox(session.user.id);
  resetMoments(session.user.id);
  shell = mountShell(root);
  shell.show(currentRoute());
  load();
}

function showAuth(notice = '') {
  // an invite link opened before signing in is where signing in leads
  const pending = isInviteLink(location.hash) ? location.hash : sessionStorage.getItem(INVITE_KEY);
  if (pending) sessionStorage.setItem(INVITE_KEY, pending);
  if (!['', '#/', '#/sign-in'].includes(location.hash)) history.replaceState(null, '', '#/');
  mountAuth(root, {
    notice,
    onSession(newSession) {
      saveSession(newSession);
      const next = sessionStorage.getItem(INVITE_KEY);
      sessionStorage.removeItem(INVITE_KEY);
      history.replaceState(null, '', next && isInviteLink(next) ? next : '#/chats');
      start();
    },
  });
}

const INVITE_KEY = 'kith.invite'; // sessionStorage: the invite link to open once signed in
let loadAttempt = 0; // failed loads in a row
let loading = false;
let retryTimer = null;

function cancelRetry() {
  clearTimeout(retryTimer);
  window.removeEventListener('online', load);
}

async function load() {
  cancelRetry();
  if (loading || !session) return;
  loading = true;
  try {
    await loadSnapshot();
    catchUpNotes(state.since); // the likes and comments since the last visit
    if (loadAttempt > 0) {
      // an error was shown in the main pane: build the screens afresh
      loadAttempt = 0;
      shell?.destroy();
      shell = mountShell(root);
      shell.show(currentRoute());
    }
    connect();
    resumeNotifications();
  } catch (error) {
    if (error.status !== 401 && session) showLoadError(error); // a 401 has signed us out already
  } finally {
    loading = false;
  }
}

function showLoadError(error) {
  loadAttempt += 1;
  const main = document.getElementById('main');
  const retry = h('button', { class: 'btn primary', type: 'button', onclick: () => load() }, t('Try again'));
  if (main) replace(main, h('div', { class: 'main-empty' }, emptyState('wifiOff', t("Can't load your chats"), humanError(error), retry)));
  root.classList.add('has-detail');
  state.connection = navigator.onLine ? 'connecting' : 'offline';
  root.dataset.connection = state.connection;
  changed('connection');
  // and try again by ourselves: when the browser is back online, or after a growing pause
  window.addEventListener('online', load);
  retryTimer = setTimeout(load, Math.min(30000, 1000 * 2 ** loadAttempt));
}

function connect() {
  sync?.stop();
  sync = new Sync(session.token, {
    since: () => state.since,
    events(events) {
      const fresh = events.filter((e) => e.seq > state.since);
      applyEvents(events);
      notifyHidden(fresh); // a hidden tab tells of new messages itself (docs/push.md)
    },
    ack(frame) {
      if (!frame.message) return; // the ack of a read
      state.serverOffset = frame.message.created_at - Date.now();
      applyMessage(frame.message);
      acked(frame.ref, frame.message);
    },
    error(frame) {
      if (frame.ref) refused(frame.ref, frame.error);
    },
    typing: heardTyping,
    state(name) {
      state.connection = name;
      root.dataset.connection = name; // for styling, and for tests to wait on
      if (name !== 'online') disconnected();
      changed('connection');
    },
    ready: () => flush(),
    ended: () => endSession(t('This device was signed out. Please sign in again.')),
    async resync() {
      // the server's log is behind what we remember (it was restored from a backup): start over
      try {
        await loadSnapshot();
      } finally {
        sync.connectNow();
      }
    },
  });
  useTransport(sync);
  useSync(sync);
  useTypingTransport(sync);
  sync.start();
}

function endSession(notice) {
  if (!session) return;
  cancelRetry();
  sync?.stop();
  sync = null;
  shell?.destroy();
  shell = null;
  session = null;
  setToken(null);
  clearSession();
  clearOutbox();
  clearUploads();
  clearTyping();
  stopVideo();
  forgetMoments();
  dropDraft();
  reset(null, null);
  delete root.dataset.connection;
  document.title = 'kith';
  document.querySelectorAll('dialog, .menu').forEach((node) => node.remove());
  showAuth(notice);
}

if (location.hash === '' && loadSession()) go('chats', { replace: true });
startWorker();
start();
