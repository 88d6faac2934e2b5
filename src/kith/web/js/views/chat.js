// One open conversation: header, messages (older ones load as you scroll up), composer.

import { fillIn, h, reconcile, isDesktop } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { emojiPicker } from '../ui/emoji.js';
import { mentionPicker } from './mentions.js';
import { isTyping, typed } from '../typing.js';
import { clockTime, dayKey, dayLabel, dateTime, duration, fileSize } from '../ui/format.js';
import { avatar, confirmDialog, copyText, emptyState, openDialog, openMenu, toast } from '../ui/widgets.js';
import { isNotice, kindOf, previewOf } from '../messages/index.js';
import {
  changed, chatOf, conversationTitle, ensureMembers, isMe, lastLeft, loadAround, loadLatest, loadLatestAgain, loadNewer,
  loadOlder, nameOf, senderName, serverNow, shownMessages, state, subscribe, unfollowed,
} from '../store.js';
import { discard, pendingFor, retry, sendText } from '../outbox.js';
import { discardUpload, retryUpload, sendMedia, uploadsFor, watchProgress } from '../uploads.js';
import { MAX_VOICE_MS, MIN_VOICE_MS, canRecord, startRecording } from '../recorder.js';
import { follow, hideMessage, loadAccount, markRead, menuEvent, recall, sendPlace, setPrefs, unblock, unfollow } from '../actions.js';
import { go } from '../router.js';
import { humanError } from '../api.js';
import { openAddFriend, openChatInfo } from './dialogs.js';
import { t, tn } from '../i18n.js';

const RECALL_WINDOW_MS = 120 * 1000;
const RUN_GAP_MS = 5 * 60 * 1000;
const MAX_TEXT_BYTES = 16 * 1024;
const drafts = new Map(); // conversation id -> unsent text, kept while the page lives
const ctx = { nameOf, isMe, shownName: (id) => state.users.get(id)?.display_name };
const MAX_AT_ONCE = 10; // files sent from one pick, paste or drop
const IMAGE_TYPES = /^image\/(jpeg|png|webp|gif)$/; // what the server takes as a picture; others go as files
const VIDEO_TYPES = /^video\/(mp4|quicktime|webm)$/; // what the server takes as a video (it checks the codecs)

const NOT_A_PICTURE = new Set(['not_an_image', 'invalid_image', 'image_too_large']);
// a video the server will not take as one may still go as a file (which is never played)
const NOT_A_VIDEO = new Set(['not_a_video', 'invalid_video', 'unsupported_video', 'video_too_large', 'video_too_long', 'too_large']);
const WEB = /^https?:\/\//i;
const menuModes = new Map(); // conversation id -> whether an account's menu shows instead of the input

/** Whether sending again might work: not when the server refused what was sent. */
function retryable(m) {
  if (!m.upload) return true;
  const status = m.error?.status;
  return !status || status === 429 || status >= 500;
}

const QUOTED = { image: t('[Photo]'), voice: t('[Voice]'), video: t('[Video]'), file: t('[File]'), location: t('[Location]') };

const jumps = new Map(); // conversation id -> the seq of a message to show when its chat opens

/** Open a conversation at one of its messages (a search result): its context loaded, the message
 * highlighted. */
export function openMessage(conv, seq) {
  jumps.set(conv.id, seq);
  changed(`jump:${conv.id}`); // the chat, if it is open already
  go(conv.kind === 'official' ? `chats/subscriptions/${conv.id}` : `chats/${conv.id}`);
}

/** What a reply's quote shows of the message it answers. */
function quoteText(quote) {
  if (quote.text === null || quote.text === undefined) return t('Recalled message');
  return quote.text || QUOTED[quote.kind] || t('Attachment');
}

export function mountChat(el, conversationId) {
  const id = conversationId;
  const chat = () => chatOf(id); // replaced when you leave and rejoin, so always look it up
  let replyTo = null;
  let stick = true; // keep the newest message in view
  let lastSeenSeq = 0;
  let destroyed = false;
  let gone = false; // showing "you left this group" instead of the chat
  let recording = null; // a voice note being recorded: {recorder, cancelled, released, timer}
  let accountFresh = false; // an account's card (its menu) has been read since the chat opened
  // what was unread when the chat opened: the divider goes before the first of it (null: none)
  let unreadFrom;
  let unreadCount = 0;
  let unreadSeen = false; // the divider has been in view (or jumped to): no button for it any more
  let loadFailedAt = 0; // when reading the newest messages last failed
  let loadFailedOnline = false; // and whether we were connected then (if not, coming back retries at once)

  // ---- header ----
  const title = h('h2', { class: 'chat-title', dir: 'auto' });
  const subtitle = h('div', { class: 'chat-subtitle' });
  const headAvatar = h('span', { class: 'chat-head-avatar' });
  let headAvatarKey = null;
  const infoButton = h(
    'button',
    { class: 'icon-btn', type: 'button', 'aria-label': t('Chat info'), title: t('Chat info'), onclick: () => openInfo() },
    icon('more'),
  );
  const backLink = h('a', { class: 'icon-btn back', href: '#/chats', 'aria-label': t('Back to chats') }, icon('back'));
  // pin and mute, one press away (also in the chat list's menu)
  const toggle = (change) => setPrefs(id, change(conv())).catch((e) => toast(humanError(e), { kind: 'error' }));
  const pinButton = h('button', { class: 'icon-btn head-toggle', type: 'button', onclick: () => toggle((c) => ({ pinned: !c.pinned })) });
  const muteButton = h('button', { class: 'icon-btn head-toggle', type: 'button', onclick: () => toggle((c) => ({ muted: !c.muted })) });
  let togglesKey = null;
  const header = h(
    'header',
    { class: 'pane-header chat-header' },
    backLink,
    // a click on the title opens the info too (the button next to it is the keyboard's way there);
    // an account's title opens its page
    h('div', { class: 'chat-head', onclick: () => (official() ? go(`contacts/account/${conv().account?.id}`) : openInfo()) }, headAvatar, h('div', { class: 'chat-head-text' }, title, subtitle)),
    muteButton,
    pinButton,
    infoButton,
  );

  // ---- messages ----
  const edge = h('div', { class: 'history-edge', 'aria-live': 'polite' });
  const list = h('div', { class: 'msg-list' });
  const scroller = h('div', { class: 'messages', tabindex: '0', role: 'log', 'aria-label': t('Messages') }, edge, list);
  const pillLabel = h('span', null, t('New messages'));
  const pill = h(
    'button',
    { class: 'new-pill', type: 'button', hidden: true, onclick: () => toLatest() },
    icon('down', { size: 16 }),
    pillLabel,
  );

  // ---- composer ----
  const replyBar = h('div', { class: 'reply-bar', hidden: true });
  const input = h('textarea', {
    class: 'composer-input',
    rows: '1',
    placeholder: t('Message'),
    'aria-label': t('Message'),
    dir: 'auto',
    enterkeyhint: 'send',
  });
  const sendButton = h('button', { class: 'send-btn', type: 'submit', 'aria-label': t('Send'), title: t('Send (Enter)') }, icon('send'));
  const micButton = h(
    'button',
    { class: 'send-btn mic-btn', type: 'button', 'aria-label': t('Hold to record a voice note'), title: t('Hold to record, release to send') },
    icon('mic'),
  );
  const imageInput = h('input', {
    type: 'file', accept: 'image/*,video/mp4,video/quicktime,video/webm', multiple: true, hidden: true, 'aria-label': t('Choose photos or videos'),
  });
  const fileInput = h('input', { type: 'file', multiple: true, hidden: true, 'aria-label': t('Choose files') });
  const attachButton = h(
    'button',
    { class: 'icon-btn attach-btn', type: 'button', 'aria-label': t('Attach'), title: t('Send a photo or a file'), 'aria-haspopup': 'menu' },
    icon('attach'),
  );
  const recordClock = h('span', { class: 'record-time' }, '0:00');
  const recordBar = h(
    'div',
    { class: 'record-bar', hidden: true, role: 'status' },
    h('span', { class: 'record-dot', 'aria-hidden': 'true' }),
    recordClock,
    h('span', { class: 'record-hint wide-only' }, t('Release to send · slide away or Esc to cancel')),
    h('span', { class: 'record-hint narrow-only' }, t('Slide away to cancel')),
  );
  // an official account's menu: a bar of buttons in place of the input, as its followers know it
  const menuToggle = h(
    'button',
    { class: 'icon-btn menu-toggle', type: 'button', hidden: true, 'aria-label': t('Show the menu'), title: t('Show the menu'), onclick: () => setMenuMode(true) },
    icon('menu'),
  );
  const keyboardToggle = h(
    'button',
    { class: 'icon-btn menu-toggle', type: 'button', 'aria-label': t('Write a message'), title: t('Write a message'), onclick: () => setMenuMode(false) },
    icon('keyboard'),
  );
  const menuButtons = h('div', { class: 'oa-menu-buttons' });
  const menuBar = h('div', { class: 'oa-menu', hidden: true, role: 'toolbar', 'aria-label': t('Menu') }, keyboardToggle, menuButtons);
  let menuKey = null;
  const form = h('form', { class: 'composer-row' }, menuToggle, attachButton, imageInput, fileInput, input, recordBar, micButton, sendButton);
  const blockedBar = h('div', { class: 'composer-notice', hidden: true });
  const composer = h('footer', { class: 'composer' }, replyBar, blockedBar, form, menuBar);
  const emoji = emojiPicker(input, composer);
  input.after(emoji.button);
  // in a group, @ offers its members (registered before the composer's keys: it may take Enter)
  const mentions = mentionPicker(input, composer, () => (conv()?.kind === 'group' ? chat().members : null));

  const dropHint = h('div', { class: 'drop-hint', 'aria-hidden': 'true' }, h('div', null, icon('attach', { size: 28 }), h('span', null, t('Drop to send'))));
  const unreadLabel = h('span', null);
  const unreadJump = h(
    'button',
    { class: 'unread-jump', type: 'button', hidden: true, onclick: () => toFirstUnread() },
    icon('up', { size: 16 }),
    unreadLabel,
  );
  const body = h('div', { class: 'chat-body' }, scroller, pill, unreadJump, dropHint);
  const pane = h('section', { class: 'chat', 'aria-label': t('Chat') }, header, body, composer);
  el.replaceChildren(pane);

  input.value = drafts.get(id) || '';
  autosize();
  updateSendButton();

  // ---- behaviour ----
  function conv() {
    return state.conversations.get(id);
  }

  function openInfo() {
    const c = conv();
    if (!c) return;
    if (c.kind !== 'official') {
      openChatInfo(c);
      return;
    }
    const account = c.account || {};
    const name = conversationTitle(c);
    openMenu(infoButton, [
      { label: t('View account'), icon: 'info', action: () => go(`contacts/account/${account.id}`) },
      { label: c.muted ? t('Unmute') : t('Mute'), icon: c.muted ? 'bell' : 'mute', action: () => setPrefs(id, { muted: !c.muted }).catch((e) => toast(humanError(e), { kind: 'error' })) },
      account.following === false
        ? { label: t('Follow'), icon: 'plus', action: () => follow(account.id, { open: false }).catch((e) => toast(humanError(e), { kind: 'error' })) }
        : {
            label: t('Unfollow'),
            icon: 'close',
            danger: true,
            action: async () => {
              const sure = await confirmDialog(t('Unfollow {name}?', { name }), {
                detail: t('It will not be able to send you anything any more. Its messages so far stay here.'),
                confirm: t('Unfollow'),
                danger: true,
              });
              if (!sure) return;
              try {
                await unfollow(account.id);
                toast(t('You unfollowed {name}.', { name }));
              } catch (error) {
                toast(humanError(error), { kind: 'error' });
              }
            },
          },
    ], { label: t('{name} options', { name }) });
  }

  const official = () => conv()?.kind === 'official';
  const who = (userId) => senderName(conv(), userId);

  function setMenuMode(on) {
    menuModes.set(id, on);
    renderComposerState();
    if (on) menuButtons.querySelector('button, a')?.focus();
    else input.focus();
  }

  async function tap(account, button) {
    stick = true; // the answer, if any, comes into view
    try {
      await menuEvent(account.id, button);
    } catch (error) {
      toast(humanError(error), { kind: 'error' });
    }
  }

  /** One button of the menu: a click (its key goes to the account), a link, or a group of them. */
  function menuButton(account, button) {
    const label = button.name || t('Menu');
    const subs = button.sub_button || [];
    if (subs.length) {
      const opener = h(
        'button',
        { class: 'oa-menu-btn', type: 'button', 'aria-haspopup': 'menu' },
        icon('menu', { size: 14, className: 'oa-menu-mark' }),
        h('span', null, label),
      );
      opener.addEventListener('click', () =>
        openMenu(
          opener,
          subs.map((sub) => ({
            label: sub.name || t('Menu'),
            icon: sub.type === 'view' ? 'external' : null,
            href: sub.type === 'view' && WEB.test(sub.url || '') ? sub.url : null,
            action: () => tap(account, sub),
          })),
          { label },
        ),
      );
      return opener;
    }
    if (button.type === 'view' && WEB.test(button.url || '')) {
      return h('a', { class: 'oa-menu-btn', href: button.url, target: '_blank', rel: 'noopener noreferrer', title: button.url, onclick: () => tap(account, button) }, h('span', null, label));
    }
    if (button.type === 'click') return h('button', { class: 'oa-menu-btn', type: 'button', onclick: () => tap(account, button) }, h('span', null, label));
    return h('button', { class: 'oa-menu-btn', type: 'button', disabled: true, title: t('This button does not work in kith') }, h('span', null, label));
  }

  function nearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 48;
  }

  /** Whether the newest messages are read (not so while a part of the history further up is shown). */
  const atLatest = () => chat().windowEnd === Infinity;

  async function toLatest() {
    if (!atLatest()) {
      try {
        await loadLatestAgain(id);
      } catch (error) {
        toast(humanError(error), { kind: 'error' });
        return;
      }
    }
    scrollToBottom(true);
  }

  function scrollToBottom(smooth = false) {
    stick = true;
    pill.hidden = true;
    scroller.scrollTo({ top: scroller.scrollHeight, behavior: smooth ? 'smooth' : 'instant' });
    maybeMarkRead();
  }

  function maybeMarkRead() {
    if (destroyed || !chat().loaded || !stick || !atLatest() || document.visibilityState !== 'visible') return;
    markRead(id);
  }

  scroller.addEventListener(
    'scroll',
    () => {
      const bottom = nearBottom();
      stick = bottom && atLatest();
      if (stick) {
        pill.hidden = true;
        maybeMarkRead();
      }
      if (scroller.scrollTop < 400) older();
      if (!atLatest() && scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 400) newer();
      checkUnreadSeen();
    },
    { passive: true },
  );

  const divider = () => list.querySelector('.unread-sep');

  /** Whether the unread divider has come into view; the button to it shows until it has. */
  function checkUnreadSeen() {
    if (unreadFrom === null || unreadFrom === undefined || unreadSeen) {
      unreadJump.hidden = true;
      return;
    }
    const sep = divider();
    if (sep) {
      const top = sep.getBoundingClientRect().top;
      const box = scroller.getBoundingClientRect();
      if (top >= box.top - 1 && top < box.bottom) unreadSeen = true;
    }
    unreadJump.hidden = unreadSeen || !chat().loaded;
  }

  async function toFirstUnread() {
    unreadSeen = true;
    unreadJump.hidden = true;
    if (!divider()) {
      try {
        await loadAround(id, unreadFrom + 1);
      } catch (error) {
        toast(humanError(error), { kind: 'error' });
        return;
      }
      if (destroyed) return;
      stick = false;
      render();
    }
    const sep = divider();
    if (!sep) return;
    stick = false;
    scroller.scrollTop += sep.getBoundingClientRect().top - scroller.getBoundingClientRect().top - 8;
    // the first unread message takes the focus, for the keyboard to go on from there
    const first = sep.nextElementSibling;
    if (first?.classList.contains('msg')) first.focus({ preventScroll: true });
  }

  function older() {
    if (!chat().loaded || chat().loading || !chat().hasMore) return;
    loadOlder(id).catch((error) => toast(humanError(error), { kind: 'error' }));
  }

  function newer() {
    if (!chat().loaded || chat().loading || atLatest()) return;
    loadNewer(id).catch((error) => toast(humanError(error), { kind: 'error' }));
  }

  // a message's menu: a right-click (a long press on Android), a long press (other touch screens)
  list.addEventListener('contextmenu', (event) => {
    const row = event.target.closest('.msg');
    if (!row || event.target.closest('a[href], video, audio')) return; // a link's own menu stays
    if (openMessageMenu(row, { x: event.clientX, y: event.clientY })) event.preventDefault();
  });
  let press = null; // a touch held on a message: {timer, x, y}
  const endPress = () => {
    if (press) clearTimeout(press.timer);
    press = null;
  };
  list.addEventListener('pointerdown', (event) => {
    const row = event.target.closest('.msg');
    if (event.pointerType !== 'touch' || !row || event.target.closest('button, a, video, audio')) return;
    endPress();
    const { clientX: x, clientY: y } = event;
    press = { x, y, timer: setTimeout(() => { press = null; openMessageMenu(row, { x, y }); }, 550) };
  });
  list.addEventListener('pointermove', (event) => {
    if (press && Math.hypot(event.clientX - press.x, event.clientY - press.y) > 10) endPress();
  });
  for (const type of ['pointerup', 'pointercancel']) list.addEventListener(type, endPress);
  scroller.addEventListener('scroll', endPress, { passive: true });

  // arrow keys move between messages; Tab then reaches the focused message's "…" (its menu)
  scroller.addEventListener('keydown', (event) => {
    const row = event.target.closest?.('.msg');
    if (row && (event.key === 'ContextMenu' || (event.key === 'F10' && event.shiftKey))) {
      if (openMessageMenu(row)) event.preventDefault();
      return;
    }
    if (!['ArrowUp', 'ArrowDown'].includes(event.key) || event.target.closest('button, a')) return;
    const rows = [...list.querySelectorAll('.msg')];
    if (!rows.length) return;
    const index = rows.indexOf(event.target.closest('.msg'));
    const next = index === -1 ? rows.length - 1 : index + (event.key === 'ArrowDown' ? 1 : -1);
    if (next < 0 || next >= rows.length) return;
    event.preventDefault();
    rows[next].focus();
    rows[next].scrollIntoView({ block: 'nearest' });
  });

  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.altKey && !event.ctrlKey && !event.metaKey && !event.isComposing) {
      event.preventDefault();
      submit();
    } else if (event.key === 'Escape' && replyTo) {
      event.preventDefault();
      setReply(null);
    }
  });
  input.addEventListener('input', () => {
    if (input.value.trim()) typed(id); // a direct chat's other person sees that you are typing
    drafts.set(id, input.value);
    autosize();
    updateSendButton();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit();
  });

  function autosize() {
    const atBottom = nearBottom();
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
    if (atBottom) scroller.scrollTop = scroller.scrollHeight;
  }

  function updateSendButton() {
    const hasText = Boolean(input.value.trim());
    const voice = canRecord();
    sendButton.disabled = !hasText;
    // the microphone while there is nothing to send (and while it records), Send once there is text
    sendButton.hidden = voice && (!hasText || Boolean(recording));
    micButton.hidden = !voice || (hasText && !recording);
  }

  // ---- pictures and files: the attach menu, paste, drag and drop ----
  attachButton.addEventListener('click', () =>
    openMenu(attachButton, [
      { label: t('Photo or video'), icon: 'image', action: () => imageInput.click() },
      // an official account takes pictures, videos and voice notes, not files
      ...(official() ? [] : [{ label: t('File'), icon: 'file', action: () => fileInput.click() }]),
      ...('geolocation' in navigator ? [{ label: t('Location'), icon: 'pin', action: () => shareLocation() }] : []),
    ], { label: t('Attach') }),
  );
  async function shareLocation() {
    let position;
    try {
      position = await new Promise((resolve, reject) =>
        navigator.geolocation.getCurrentPosition(resolve, reject, { enableHighAccuracy: true, timeout: 15000 }),
      );
    } catch {
      toast(t('kith could not find where you are. Allow location for this site and try again.'), { kind: 'error' });
      return;
    }
    const { latitude, longitude } = position.coords;
    try {
      await sendPlace(conversationId, { latitude, longitude, label: '', scale: 16 });
    } catch (error) {
      toast(humanError(error), { kind: 'error' });
    }
  }

  imageInput.addEventListener('change', () => {
    const files = [...imageInput.files];
    imageInput.value = '';
    if (files.length) offerFiles(files);
  });
  fileInput.addEventListener('change', () => {
    const files = [...fileInput.files];
    fileInput.value = '';
    for (const file of files.slice(0, MAX_AT_ONCE)) send(file, 'file');
    if (files.length > MAX_AT_ONCE) toast(t('Only {n} files go at once; the rest were left out.', { n: MAX_AT_ONCE }));
  });
  pane.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData?.files || [])];
    if (!files.length || form.hidden) return;
    event.preventDefault();
    offerFiles(files);
  });
  let dragDepth = 0;
  const dragsFiles = (event) => [...(event.dataTransfer?.types || [])].includes('Files') && !form.hidden && !gone;
  pane.addEventListener('dragenter', (event) => {
    if (!dragsFiles(event)) return;
    event.preventDefault();
    dragDepth += 1;
    pane.classList.add('dropping');
  });
  pane.addEventListener('dragover', (event) => {
    if (!dragsFiles(event)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = 'copy';
  });
  pane.addEventListener('dragleave', (event) => {
    if (!dragsFiles(event)) return;
    dragDepth = Math.max(0, dragDepth - 1);
    if (!dragDepth) pane.classList.remove('dropping');
  });
  pane.addEventListener('drop', (event) => {
    dragDepth = 0;
    pane.classList.remove('dropping');
    if (!dragsFiles(event)) return;
    event.preventDefault();
    const files = [...event.dataTransfer.files];
    if (files.length) offerFiles(files);
  });

  function send(file, kind, details = {}) {
    if (!conv()) return;
    sendMedia(id, file, kind, { ...details, replyTo });
    setReply(null); // the reply goes with the first of them
    if (!atLatest()) toLatest();
    stick = true;
  }

  /** Pictures, videos (and files) chosen, pasted or dropped: shown first, sent on Send. */
  async function offerFiles(all) {
    if (all.length > MAX_AT_ONCE) toast(t('Only {n} go at once; the rest were left out.', { n: MAX_AT_ONCE }));
    const kindOfFile = (file) => (IMAGE_TYPES.test(file.type) ? 'image' : VIDEO_TYPES.test(file.type) ? 'video' : 'file');
    const files = all.slice(0, MAX_AT_ONCE).map((file) => ({ file, kind: kindOfFile(file), size: {}, preview: null }));
    const urls = [];
    // a picture the browser cannot draw is no picture to the server either: it goes as a file
    await Promise.all(
      files.filter((f) => f.kind === 'image').map(async (f) => {
        const url = URL.createObjectURL(f.file);
        urls.push(url);
        const img = h('img', { class: 'preview-img', src: url, alt: f.file.name || t('Photo') });
        try {
          await img.decode();
          f.size = { width: img.naturalWidth, height: img.naturalHeight };
          f.preview = h('div', { class: 'preview-tile' }, img);
        } catch {
          f.kind = 'file';
        }
      }),
    );
    // a video's size and length, where the browser can read them (the server checks it either way)
    await Promise.all(
      files.filter((f) => f.kind === 'video').map(async (f) => {
        const url = URL.createObjectURL(f.file);
        urls.push(url);
        const video = h('video', { class: 'preview-img', src: url, muted: true, preload: 'metadata', playsinline: true, 'aria-label': f.file.name || t('Video') });
        f.preview = h('div', { class: 'preview-tile' }, video, h('span', { class: 'video-length' }, icon('video', { size: 14 })));
        await new Promise((resolve) => {
          video.addEventListener('loadedmetadata', resolve, { once: true });
          video.addEventListener('error', resolve, { once: true });
          setTimeout(resolve, 3000);
        });
        if (video.videoWidth && video.videoHeight) f.size = { width: video.videoWidth, height: video.videoHeight };
        if (Number.isFinite(video.duration)) {
          f.size.duration_ms = Math.round(video.duration * 1000);
          f.preview.lastChild.append(duration(f.size.duration_ms));
        }
      }),
    );
    if (destroyed) return;
    if (official() && files.some((f) => f.kind === 'file')) {
      toast(t('An official account takes pictures, videos and voice notes, not files.'));
      files.splice(0, files.length, ...files.filter((f) => f.kind !== 'file'));
      if (!files.length) return;
    }
    const shown = files.filter((f) => f.kind !== 'file'); // pictures and videos, with a preview each
    const videos = files.filter((f) => f.kind === 'video');
    const previews = shown.map((f) => f.preview);
    const others = files.filter((f) => f.kind === 'file').map((f) =>
      h('li', { class: 'preview-file' }, icon('file', { size: 22 }), h('span', { class: 'file-name' }, f.file.name || t('File')), h('span', { class: 'muted small' }, fileSize(f.file.size))),
    );
    const count = files.length;
    const title = !others.length && !videos.length
      ? (count === 1 ? t('Send photo') : t('Send {n} photos', { n: count }))
      : !others.length && videos.length === count ? (count === 1 ? t('Send video') : t('Send {n} videos', { n: count }))
        : !shown.length ? (count === 1 ? t('Send file') : t('Send {n} files', { n: count })) : t('Send {n} items', { n: count });
    let sent = false;
    openDialog({
      title,
      className: 'send-preview',
      onClose: () => {
        // the dialog's own previews; the pending bubbles have theirs
        setTimeout(() => urls.forEach((url) => URL.revokeObjectURL(url)), sent ? 5000 : 0);
      },
      content: (close) =>
        h(
          'div',
          null,
          previews.length ? h('div', { class: `preview-grid${previews.length === 1 ? ' single' : ''}` }, previews) : null,
          others.length ? h('ul', { class: 'preview-files' }, others) : null,
          h(
            'div',
            { class: 'dialog-actions' },
            h('button', { class: 'btn', type: 'button', onclick: close }, t('Cancel')),
            h('button', {
              class: 'btn primary',
              type: 'button',
              autofocus: true,
              onclick: () => {
                files.forEach((f) => send(f.file, f.kind, f.size));
                sent = true;
                close();
              },
            }, icon('send', { size: 18 }), t('Send')),
          ),
        ),
    });
  }

  // ---- voice notes: hold to talk ----

  micButton.addEventListener('pointerdown', (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    beginRecording();
  });
  micButton.addEventListener('contextmenu', (event) => event.preventDefault()); // a long press on a phone
  micButton.addEventListener('keydown', (event) => {
    if ((event.key === ' ' || event.key === 'Enter') && !event.repeat) {
      event.preventDefault();
      beginRecording();
    }
  });
  micButton.addEventListener('keyup', (event) => {
    if (event.key === ' ' || event.key === 'Enter') {
      event.preventDefault();
      finishRecording();
    }
  });

  const onRecordingMove = (event) => {
    const rect = micButton.getBoundingClientRect();
    const dx = Math.max(rect.left - event.clientX, 0, event.clientX - rect.right);
    const dy = Math.max(rect.top - event.clientY, 0, event.clientY - rect.bottom);
    if (Math.hypot(dx, dy) > 60) cancelRecording(t('Voice note cancelled.'));
  };
  const onRecordingUp = () => finishRecording();
  const onRecordingCancel = () => cancelRecording(t('Voice note cancelled.'));
  const onRecordingKey = (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      cancelRecording(t('Voice note cancelled.'));
    }
  };

  function showRecording(on) {
    form.classList.toggle('recording', on);
    recordBar.hidden = !on;
    micButton.setAttribute('aria-pressed', on ? 'true' : 'false');
    recordClock.textContent = '0:00';
    for (const [type, fn] of [['pointermove', onRecordingMove], ['pointerup', onRecordingUp], ['pointercancel', onRecordingCancel], ['blur', onRecordingCancel]]) {
      if (on) window.addEventListener(type, fn);
      else window.removeEventListener(type, fn);
    }
    if (on) document.addEventListener('keydown', onRecordingKey, true);
    else document.removeEventListener('keydown', onRecordingKey, true);
    updateSendButton();
  }

  async function beginRecording() {
    if (recording || form.hidden) return;
    const current = { recorder: null, cancelled: false, released: false, timer: null };
    recording = current;
    showRecording(true);
    try {
      current.recorder = await startRecording();
    } catch (error) {
      if (recording === current) {
        recording = null;
        showRecording(false);
      }
      const denied = error?.name === 'NotAllowedError' || error?.name === 'SecurityError';
      toast(denied ? t('kith may not use the microphone. Allow it in the browser’s site settings.') : t('No microphone was found.'), { kind: 'error' });
      return;
    }
    if (current.cancelled || current.released) {
      current.recorder.cancel(); // let go before the microphone was ready
      return;
    }
    current.timer = setInterval(() => {
      const elapsed = current.recorder.elapsed();
      recordClock.textContent = duration(Math.floor(elapsed / 1000) * 1000);
      if (elapsed >= MAX_VOICE_MS - 250) finishRecording(); // the server's limit is a minute
    }, 200);
  }

  function endRecording() {
    const current = recording;
    recording = null;
    if (current?.timer) clearInterval(current.timer);
    showRecording(false);
    return current;
  }

  function cancelRecording(notice) {
    const current = endRecording();
    if (!current) return;
    current.cancelled = true;
    current.recorder?.cancel();
    if (notice) toast(notice);
  }

  async function finishRecording() {
    const current = endRecording();
    if (!current) return;
    current.released = true;
    if (!current.recorder || current.recorder.elapsed() < MIN_VOICE_MS) {
      current.recorder?.cancel();
      toast(t('Hold the button to record; release to send.'));
      return;
    }
    const note = await current.recorder.stop();
    if (!note.blob.size) {
      toast(t('Nothing was recorded. Check the microphone.'), { kind: 'error' });
      return;
    }
    send(note.blob, 'voice', { name: note.name, duration_ms: note.duration_ms });
  }

  function submit() {
    const text = input.value;
    if (!text.trim()) return;
    if (new TextEncoder().encode(text).length > MAX_TEXT_BYTES) {
      toast(t('That message is too long. Split it into a few shorter ones.'), { kind: 'error' });
      return;
    }
    const c = conv();
    if (!c) return;
    sendText(id, text, replyTo, { mentions: c.kind === 'group' ? mentions.take(text) : [] });
    if (!atLatest()) toLatest();
    input.value = '';
    drafts.delete(id);
    setReply(null);
    autosize();
    updateSendButton();
    stick = true;
  }

  function setReply(message) {
    replyTo = message;
    replyBar.hidden = !message;
    replyBar.replaceChildren();
    if (message) {
      replyBar.append(
        icon('reply', { size: 18 }),
        h(
          'div',
          { class: 'reply-bar-text' },
          h('strong', null, fillIn(t('Replying to {name}'), { name: h('bdi', null, who(message.sender_id)) })),
          h('span', { dir: 'auto' }, previewOf(message, ctx)),
        ),
        h('button', { class: 'icon-btn small', type: 'button', 'aria-label': t('Cancel reply'), onclick: () => { setReply(null); input.focus(); } }, icon('close', { size: 18 })),
      );
      input.focus();
    }
    if (stick) scroller.scrollTop = scroller.scrollHeight;
  }

  async function doRecall(message) {
    const sure = await confirmDialog(t('Recall this message?'), {
      detail: t('It goes for everyone in this chat, who will see that you recalled a message.'),
      confirm: t('Recall'),
      danger: true,
    });
    if (!sure) return;
    try {
      await recall(id, message.seq);
    } catch (error) {
      toast(humanError(error), { kind: 'error' });
    }
  }

  async function doHide(message) {
    const sure = await confirmDialog(t('Delete this message for you?'), {
      detail: t('It goes from this chat on all your devices. The others still see it.'),
      confirm: t('Delete for me'),
      danger: true,
    });
    if (!sure) return;
    try {
      await hideMessage(id, message.seq);
    } catch (error) {
      toast(humanError(error), { kind: 'error' });
    }
  }

  /** What can be done with a message, in its menu: Reply, Copy, Recall (yours, for 2 minutes), Delete for me. */
  function messageActions(m) {
    const mine = isMe(m.sender_id);
    const copyable = m.kind === 'text' && !m.recalled && m.text;
    const items = [];
    // an account's conversation has no replies: its server would not see the quote
    if (!official()) items.push({ label: t('Reply'), icon: 'reply', action: () => setReply(m) });
    if (copyable) items.push({ label: t('Copy'), icon: 'copy', action: () => copyText(m.text, t('Copied.')) });
    if (mine && serverNow() - m.created_at < RECALL_WINDOW_MS) items.push({ label: t('Recall'), icon: 'undo', action: () => doRecall(m) });
    items.push({ label: t('Delete for me'), icon: 'trash', danger: true, action: () => doHide(m) });
    return items;
  }

  function openMessageMenu(row, at) {
    const seq = Number(row.dataset.seq);
    const m = seq ? chat().items.get(seq) : null;
    if (!m || m.recalled || isNotice(m)) return false;
    row.focus({ preventScroll: true }); // the menu gives the focus back to the message
    openMenu(at || row.querySelector('.bubble') || row, messageActions(m), { label: t('Message actions') });
    return true;
  }

  /** Show the message at ``seq``, highlighted; the history around it is read first if need be. */
  async function jumpTo(seq, { smooth = true } = {}) {
    let row = list.querySelector(`.msg[data-seq="${seq}"]`);
    if (!row) {
      try {
        await loadAround(id, seq);
      } catch (error) {
        toast(humanError(error), { kind: 'error' });
        return;
      }
      if (destroyed) return;
      render();
      row = list.querySelector(`.msg[data-seq="${seq}"]`);
      smooth = false;
    }
    if (!row) {
      toast(t('That message is no longer here.'));
      return;
    }
    stick = false;
    row.scrollIntoView({ block: 'center', behavior: smooth ? 'smooth' : 'instant' });
    row.classList.remove('flash');
    void row.offsetWidth;
    row.classList.add('flash');
    if (!smooth) row.focus({ preventScroll: true });
  }

  function takeJump() {
    const seq = jumps.get(id);
    if (seq === undefined || !state.ready) return;
    jumps.delete(id);
    jumpTo(seq, { smooth: false });
  }

  // ---- rendering ----
  function pendingMessages() {
    const me = state.me?.id;
    const uploads = uploadsFor(id).map((u) => ({
      pending: true,
      upload: true,
      client_id: u.client_id,
      conversation_id: id,
      seq: null,
      sender_id: me,
      kind: u.kind,
      text: '',
      media: u.media || { id: null, kind: u.kind, mime: u.mime, size: u.size, name: u.name, width: u.width, height: u.height, duration_ms: u.duration_ms },
      local_url: u.local_url,
      progress: u.progress,
      watch: (fn) => watchProgress(u.client_id, fn),
      created_at: u.created_at + state.serverOffset,
      recalled: false,
      reply_to: u.quote,
      state: u.state,
      error: u.error,
    }));
    const texts = pendingFor(id).map((p) => ({
      pending: true,
      client_id: p.client_id,
      conversation_id: id,
      seq: null,
      sender_id: me,
      kind: 'text',
      text: p.text,
      created_at: p.created_at + state.serverOffset,
      recalled: false,
      reply_to: p.quote,
      state: p.state,
      error: p.error,
    }));
    return [...texts, ...uploads].sort((a, b) => a.created_at - b.created_at);
  }

  function entries() {
    const c = conv();
    const group = c?.kind === 'group';
    const byAccount = c?.kind === 'official'; // the account's messages show its avatar
    // what is being sent shows after the newest messages, not after an older part of the history
    const all = [...shownMessages(id), ...(atLatest() ? pendingMessages() : [])];
    const out = [];
    let prevDay = null;
    let prev = null;
    let divided = false; // the place of the unread divider has been found
    let readBefore = false; // a message read before the unread ones is shown
    for (const m of all) {
      const day = dayKey(m.created_at);
      if (day !== prevDay) {
        out.push({ type: 'day', key: `d:${day}`, label: dayLabel(m.created_at) });
        prev = null;
        prevDay = day;
      }
      // before the first unread message: one known to be it (a read one before it, or nothing before)
      if (!divided && unreadFrom !== null && m.seq <= unreadFrom) readBefore = true;
      if (!divided && unreadFrom !== null && m.seq > unreadFrom && !m.pending && !isMe(m.sender_id) && m.kind !== 'system') {
        divided = true;
        if (readBefore || !chat().hasMore) {
          out.push({ type: 'unread', key: 'unread' });
          prev = null;
        }
      }
      const notice = isNotice(m);
      const cont = Boolean(prev && !notice && !isNotice(prev) && prev.sender_id === m.sender_id && m.created_at - prev.created_at < RUN_GAP_MS);
      const key = m.client_id ? `c:${m.sender_id}:${m.client_id}` : `s:${m.seq}`;
      out.push({ type: 'msg', key, m, cont, group, byAccount });
      prev = m;
    }
    return out;
  }

  function signature(e) {
    if (e.type === 'day') return e.label;
    if (e.type === 'unread') return 'unread';
    const m = e.m;
    const mine = isMe(m.sender_id);
    return JSON.stringify([
      m.seq, m.kind, m.text, m.media?.id, m.local_url, m.recalled, m.reply_to, m.system, m.state, m.error?.code, e.cont, e.group,
      e.group && !mine && !e.cont ? state.users.get(m.sender_id)?.avatar : null, m.articles,
      e.byAccount && !mine ? [conversationTitle(conv()), conv()?.account?.avatar] : null,
      m.sender_id !== null ? nameOf(m.sender_id) : '', m.reply_to ? who(m.reply_to.sender_id) : '',
      mine && !m.pending && !m.recalled && serverNow() - m.created_at < RECALL_WINDOW_MS,
    ]);
  }

  function renderEntry(e) {
    if (e.type === 'day') return h('div', { class: 'day-sep', role: 'separator' }, h('span', null, e.label));
    if (e.type === 'unread') return h('div', { class: 'unread-sep', role: 'separator', 'aria-label': t('Unread messages') }, h('span', null, t('Unread messages')));
    const m = e.m;
    if (isNotice(m)) {
      const kind = kindOf(m);
      const content = m.recalled
        ? isMe(m.sender_id) ? t('You recalled a message') : fillIn(t('{name} recalled a message'), { name: h('bdi', null, who(m.sender_id)) })
        : kind ? kind.render(m, ctx) : t('A message this version of kith cannot show');
      return h('div', { class: `notice${m.recalled ? ' recalled' : ''}`, 'data-seq': m.seq }, h('span', { class: 'notice-text' }, content));
    }
    const mine = isMe(m.sender_id);
    const status = m.pending ? m.state : 'sent';
    const showSender = e.group && !mine && !e.cont;
    const canRecall = mine && !m.pending && serverNow() - m.created_at < RECALL_WINDOW_MS;
    const quoted = m.reply_to ? quoteText(m.reply_to) : '';
    const quote = m.reply_to
      ? h(
          'button',
          { class: 'quote', type: 'button', onclick: () => jumpTo(m.reply_to.seq), 'aria-label': t('Reply to {name}: {text}', { name: who(m.reply_to.sender_id), text: quoted }) },
          h('span', { class: 'quote-name', dir: 'auto' }, who(m.reply_to.sender_id)),
          h('span', { class: 'quote-text', dir: 'auto' }, quoted),
        )
      : null;
    const statusIcon = mine
      ? status === 'sending' || status === 'queued'
        ? icon('clock', { size: 14, label: status === 'queued' ? t('Waiting for the connection') : t('Sending'), className: 'state-icon' })
        : status === 'failed'
          ? icon('alert', { size: 14, label: t('Not sent'), className: 'state-icon failed' })
          : icon('check', { size: 14, label: t('Sent'), className: 'state-icon' })
      : null;
    // its menu: this button (shown on hover or focus), a right-click, a long press, Shift+F10
    const more = m.pending
      ? null
      : h(
          'button',
          {
            class: 'icon-btn small msg-more',
            type: 'button',
            'aria-label': t('Message actions'),
            title: canRecall ? t('Reply, copy, recall or delete') : t('Reply, copy or delete'),
            'aria-haspopup': 'menu',
            'data-focus': 'more',
            onclick: (event) => openMessageMenu(event.currentTarget.closest('.msg'), event.currentTarget),
          },
          icon('more', { size: 18 }),
        );
    const kind = kindOf(m);
    return h(
      'div',
      {
        class: `msg ${mine ? 'mine' : 'theirs'}${e.cont ? ' cont' : ''}${e.group ? ' in-group' : ''}${e.byAccount && !mine ? ' from-account' : ''}`,
        tabindex: '-1',
        'data-seq': m.seq ?? '',
        'data-state': status,
        'data-client-id': m.client_id ?? '',
      },
      e.group && !mine
        ? e.cont
          ? h('span', { class: 'msg-avatar-gap' })
          : h('span', { class: 'msg-avatar' }, avatar(nameOf(m.sender_id), m.sender_id, { size: 32, picture: state.users.get(m.sender_id)?.avatar }))
        : null,
      e.byAccount && !mine
        ? e.cont
          ? h('span', { class: 'msg-avatar-gap' })
          : h('span', { class: 'msg-avatar' }, accountAvatar(32))
        : null,
      h(
        'div',
        { class: 'msg-body' },
        showSender ? h('div', { class: 'msg-sender', dir: 'auto' }, nameOf(m.sender_id)) : null,
        h(
          'div',
          { class: 'bubble-row' },
          h(
            'div',
            { class: `bubble${kind.bubbleClass ? ` ${kind.bubbleClass}` : ''}` },
            quote,
            kind.render(m, ctx),
            h('span', { class: 'msg-meta' }, h('time', { title: dateTime(m.created_at) }, clockTime(m.created_at)), statusIcon),
          ),
          more,
        ),
        status === 'queued'
          ? h('div', { class: 'msg-queued' }, t("Sends when you're back online"))
          : null,
        status === 'failed'
          ? h(
              'div',
              { class: 'msg-failed', role: 'alert' },
              h('span', null, t('Not sent. {reason}', { reason: humanError(m.error) })),
              retryable(m)
                ? h('button', { class: 'link-btn', type: 'button', 'data-focus': 'retry', onclick: () => (m.upload ? retryUpload(m.client_id) : retry(m.client_id)) }, t('Retry'))
                : null,
              m.upload && ((m.kind === 'image' && NOT_A_PICTURE.has(m.error?.code)) || (m.kind === 'video' && NOT_A_VIDEO.has(m.error?.code)))
                ? h('button', { class: 'link-btn', type: 'button', 'data-focus': 'as-file', onclick: () => retryUpload(m.client_id, { asFile: true }) }, t('Send as a file'))
                : null,
              h('button', { class: 'link-btn', type: 'button', onclick: () => (m.upload ? discardUpload(m.client_id) : discard(m.client_id)) }, t('Delete')),
            )
          : null,
      ),
    );
  }

  function accountAvatar(size) {
    const c = conv();
    return avatar(conversationTitle(c), -(c?.account?.id || id), { size, official: true, picture: c?.account?.avatar });
  }

  function renderHeader() {
    const c = conv();
    if (!c) return;
    const name = conversationTitle(c);
    title.textContent = name;
    backLink.href = c.kind === 'official' ? '#/chats/subscriptions' : '#/chats';
    backLink.setAttribute('aria-label', c.kind === 'official' ? t('Back to subscriptions') : t('Back to chats'));
    infoButton.setAttribute('aria-label', c.kind === 'official' ? t('Account options') : t('Chat info'));
    infoButton.title = infoButton.getAttribute('aria-label');
    infoButton.setAttribute('aria-haspopup', c.kind === 'official' ? 'menu' : 'dialog');
    const picture = c.kind === 'group' ? c.avatar : c.kind === 'official' ? c.account?.avatar : c.peer?.avatar;
    const headKey = JSON.stringify([name, c.kind, c.peer?.id, picture]);
    if (headKey !== headAvatarKey) {
      headAvatarKey = headKey;
      headAvatar.replaceChildren(
        c.kind === 'official' ? accountAvatar(36) : avatar(name, c.kind === 'group' ? c.id : c.peer?.id, { group: c.kind === 'group', size: 36, picture }),
      );
    }
    const key = JSON.stringify([c.muted, c.pinned]);
    if (key !== togglesKey) {
      togglesKey = key;
      // a toggle: its name stays, its state is pressed or not, its tooltip says what a press does
      const set = (button, on, label, tip, iconName) => {
        button.setAttribute('aria-pressed', on ? 'true' : 'false');
        button.setAttribute('aria-label', label);
        button.title = tip;
        button.replaceChildren(icon(iconName));
      };
      set(muteButton, c.muted, t('Mute'), c.muted ? t('Muted: press to unmute') : t('Mute this chat'), c.muted ? 'mute' : 'bell');
      set(pinButton, c.pinned, t('Pin to top'), c.pinned ? t('Pinned: press to unpin') : t('Pin this chat to the top'), 'pin');
    }
    const flags = [c.muted ? t('Muted') : null, c.pinned ? t('Pinned') : null].filter(Boolean);
    const kinds = { subscription: t('Subscription account'), service: t('Service account') };
    const base = c.kind === 'group'
      ? tn(c.member_count, '{n} member', '{n} members')
      : c.kind === 'official'
        ? [kinds[c.account?.kind] || t('Official account'), unfollowed(c) ? t('Not followed') : null].filter(Boolean).join(' · ')
        : c.peer && !c.peer.deleted ? `@${c.peer.handle}` : '';
    // the other person of a direct chat typing, for a few seconds (nothing else: no "last seen")
    const typing = c.kind === 'direct' && isTyping(id);
    subtitle.classList.toggle('typing', typing);
    subtitle.textContent = typing ? t('typing…') : [base, ...flags].join(' · ');
  }

  function renderComposerState() {
    const c = conv();
    let notice = null;
    if (c?.kind === 'direct' && c.peer && state.ready) {
      const peer = c.peer;
      if (peer.deleted) {
        notice = h('div', null, h('span', null, t('This account was deleted.')));
      } else if (state.blocked.has(peer.id)) {
        notice = h(
          'div',
          null,
          h('span', null, t('You blocked {name}.', { name: conversationTitle(c) })),
          h('button', { class: 'link-btn', type: 'button', onclick: () => unblock(peer.id).catch((e) => toast(humanError(e), { kind: 'error' })) }, t('Unblock')),
        );
      } else if (!state.friends.has(peer.id)) {
        notice = h(
          'div',
          null,
          h('span', null, t('You are not friends yet. Add {name} as a friend to chat.', { name: peer.display_name })),
          h('button', { class: 'link-btn', type: 'button', onclick: () => openAddFriend(peer.handle) }, t('Add friend')),
        );
      }
    }
    if (c && unfollowed(c) && state.ready) {
      const name = conversationTitle(c);
      notice = h(
        'div',
        null,
        h('span', null, t('You unfollowed {name}. Follow it again to write to it.', { name })),
        h('button', { class: 'link-btn', type: 'button', onclick: () => follow(c.account.id, { open: false }).catch((e) => toast(humanError(e), { kind: 'error' })) }, t('Follow')),
      );
    }
    blockedBar.hidden = !notice;
    blockedBar.replaceChildren(...(notice ? [notice] : []));
    // an account's menu, while it is followed: shown in place of the input until you switch to writing
    const menu = c?.kind === 'official' && !notice && c.account?.menu?.length ? c.account.menu : null;
    const showMenu = Boolean(menu) && menuModes.get(id) !== false && !recording;
    const key = menu ? JSON.stringify([c.account.id, menu]) : null;
    if (key !== menuKey) {
      menuKey = key;
      menuButtons.replaceChildren(...(menu ? menu.slice(0, 3).map((b) => menuButton(c.account, b)) : []));
    }
    menuToggle.hidden = !menu;
    menuBar.hidden = !showMenu;
    form.hidden = Boolean(notice) || showMenu;
  }

  function renderEdge() {
    const c = conv();
    edge.replaceChildren();
    if (chat().loading) edge.append(h('span', { class: 'spinner', 'aria-hidden': 'true' }), h('span', { class: 'sr-only' }, t('Loading messages')));
    else if (chat().loaded && !chat().hasMore && c) {
      edge.append(
        h('span', { class: 'edge-text' }, c.kind === 'group' ? t('This is the beginning of the group.') : t('This is the beginning of your chat with {name}.', { name: conversationTitle(c) })),
      );
    }
  }

  function render() {
    if (destroyed) return;
    const c = conv();
    if (!c) {
      if (!state.ready) return;
      const left = lastLeft?.conv.id === id ? lastLeft : null;
      gone = true;
      el.replaceChildren(
        h(
          'div',
          { class: 'main-empty' },
          h('a', { class: 'icon-btn back floating', href: '#/chats', 'aria-label': t('Back to chats') }, icon('back')),
          emptyState(
            'chat',
            left ? (left.reason === 'removed' ? t('You were removed from this group') : t('You left this group')) : t('This chat is not available'),
            left ? t('Its messages are no longer shown here.') : t('It may have been removed, or you are not a member.'),
            h('a', { class: 'btn', href: '#/chats' }, t('Back to chats')),
          ),
        ),
      );
      return;
    }
    if (gone) {
      // added back to the group: show it again, from the new membership on
      gone = false;
      lastSeenSeq = 0;
      stick = true;
      el.replaceChildren(pane);
    }
    if (unreadFrom === undefined) {
      // what was unread as the chat opened, before it is marked read
      unreadFrom = c.unread > 0 ? c.read_seq : null;
      unreadCount = c.unread;
      unreadLabel.textContent = tn(unreadCount, '{count} unread message', '{count} unread messages', { count: unreadCount > 999 ? '999+' : unreadCount });
    }
    renderHeader();
    renderComposerState();
    // the newest page, once; after a failure (offline, say) again only once connected, and not in a loop
    // (a chat opened at a message reads the history around it instead: jumpTo)
    const mayLoad = !loadFailedAt || (state.connection === 'online' && (!loadFailedOnline || Date.now() - loadFailedAt > 3000));
    if (!chat().loaded && !chat().loading && mayLoad) {
      if (!jumps.has(id)) {
        loadLatest(id).then(
          () => { loadFailedAt = 0; },
          (error) => {
            loadFailedAt = Date.now();
            loadFailedOnline = state.connection === 'online';
            if (loadFailedOnline) toast(humanError(error), { kind: 'error' }); // offline, the strip says so already
          },
        );
      }
      if (c.kind === 'group') ensureMembers(id);
    }
    if (c.kind === 'official' && !accountFresh && c.account) {
      // no event says an account changed its menu: read its card when its chat opens
      accountFresh = true;
      loadAccount(c.account.id).catch(() => {});
    }
    const wasAtBottom = stick;
    let anchor = null;
    let anchorTop = 0;
    if (!wasAtBottom) {
      const top = scroller.getBoundingClientRect().top;
      for (const row of list.children) {
        if (row.classList.contains('day-sep')) continue; // moves as older days load above it
        const rect = row.getBoundingClientRect();
        if (rect.bottom > top) {
          anchor = row.dataset.key; // by key: the row itself may be re-rendered
          anchorTop = rect.top;
          break;
        }
      }
    }
    const items = entries();
    reconcile(list, items, (e) => e.key, signature, renderEntry);
    renderEdge();
    if (wasAtBottom) scroller.scrollTop = scroller.scrollHeight;
    else if (anchor) {
      const row = [...list.children].find((node) => node.dataset.key === anchor);
      if (row) scroller.scrollTop += row.getBoundingClientRect().top - anchorTop;
    }

    const newest = items.length ? items[items.length - 1] : null;
    const newestSeq = newest?.m?.seq || 0;
    if (newestSeq > lastSeenSeq) {
      if (!wasAtBottom && lastSeenSeq && !isMe(newest.m.sender_id)) pill.hidden = false;
      lastSeenSeq = newestSeq;
    }
    // reading further up the history: the way back to the newest messages
    const mode = atLatest() ? 'new' : 'latest';
    if (mode !== pill.dataset.mode) {
      pill.dataset.mode = mode;
      pillLabel.textContent = mode === 'new' ? t('New messages') : t('Latest messages');
      pill.hidden = mode === 'new';
    }
    maybeMarkRead();
    checkUnreadSeen();
    // not enough history to fill the screen: fetch more so scrolling up is possible
    if (chat().loaded && chat().hasMore && !chat().loading && scroller.scrollHeight <= scroller.clientHeight + 40) older();
  }

  const onVisible = () => maybeMarkRead();
  document.addEventListener('visibilitychange', onVisible);
  // the view got shorter (the connection strip, a reply bar, the keyboard): the newest stays in view
  const resized = new ResizeObserver(() => {
    if (stick) scroller.scrollTop = scroller.scrollHeight;
  });
  resized.observe(scroller);
  const tick = setInterval(render, 30000); // recall buttons expire; "Today" becomes "Yesterday"
  const unsubscribe = subscribe(
    [`messages:${id}`, `members:${id}`, 'conversations', 'users', 'friends', 'blocked', 'ready', 'connection'],
    render,
  );
  const unsubscribeJumps = subscribe([`jump:${id}`, 'ready'], takeJump);
  const unsubscribeTyping = subscribe([`typing:${id}`, 'typing'], renderHeader);
  function cleanup() {
    cancelRecording();
    emoji.close();
    mentions.close();
    unsubscribe();
    unsubscribeJumps();
    unsubscribeTyping();
    clearInterval(tick);
    resized.disconnect();
    document.removeEventListener('visibilitychange', onVisible);
  }
  // a chat opens at its newest messages, even if it was left further up its history
  if (!atLatest() && !jumps.has(id)) loadLatestAgain(id).catch((error) => toast(humanError(error), { kind: 'error' }));
  render();
  if (isDesktop() && !form.hidden && !jumps.has(id)) input.focus({ preventScroll: true });
  takeJump();

  return {
    destroy() {
      destroyed = true;
      cleanup();
    },
  };
}
