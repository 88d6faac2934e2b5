// Voice notes: play and pause, the length always shown, a bar that fills as it plays. One plays at a
// time; its bubble may be redrawn while it plays, and the new one picks up where it is.

import { h } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { duration } from '../ui/format.js';
import { toast } from '../ui/widgets.js';
import { humanError, mediaUrl } from '../api.js';
import { registerKind } from './registry.js';
import { mediaOf, uploadBar } from './media.js';
import { t } from '../i18n.js';

let current = null; // {id, audio, loading, duration_ms}
const views = new Map(); // media id -> Set(view)
let frame = 0;

function notify(id) {
  const set = views.get(id);
  if (!set) return;
  for (const view of set) {
    if (view.node.isConnected) view.update();
    else set.delete(view);
  }
  if (!set.size) views.delete(id);
}

function tick() {
  frame = 0;
  if (!current || current.audio.paused) return;
  notify(current.id);
  frame = requestAnimationFrame(tick);
}

async function toggle(media) {
  if (current?.id === media.id) {
    if (current.loading) return;
    if (current.audio.paused) current.audio.play().catch(() => {});
    else current.audio.pause();
    return;
  }
  if (current) {
    const was = current;
    was.audio.pause();
    current = null;
    notify(was.id);
  }
  const playing = { id: media.id, audio: null, loading: true, duration_ms: media.duration_ms };
  current = playing;
  notify(media.id);
  try {
    const url = await mediaUrl(media.id);
    if (current !== playing) return;
    const audio = new Audio(url);
    playing.audio = audio;
    playing.loading = false;
    const changed = () => {
      notify(media.id);
      if (!audio.paused && !frame) frame = requestAnimationFrame(tick);
    };
    audio.addEventListener('play', changed);
    audio.addEventListener('pause', changed);
    audio.addEventListener('ended', () => {
      audio.currentTime = 0;
      changed();
    });
    await audio.play();
  } catch (error) {
    if (current === playing) current = null;
    notify(media.id);
    toast(error?.name === 'NotAllowedError' ? t('Press play again to listen.') : humanError(error), { kind: 'error' });
  }
}

function render(message) {
  const media = mediaOf(message);
  const playable = Boolean(media.id);
  const glyph = h('span', { class: 'voice-glyph' }, icon('play', { size: 18 }));
  const button = h('button', {
    class: 'voice-play',
    type: 'button',
    'aria-label': t('Play voice note'),
    disabled: !playable,
    onclick: () => toggle(media),
  }, glyph);
  const fill = h('span', { class: 'voice-fill' });
  const track = h('span', { class: 'voice-track', 'aria-hidden': 'true' }, fill);
  const time = h('span', { class: 'voice-time' }, duration(media.duration_ms));
  const node = h('div', { class: 'msg-voice' }, button, h('div', { class: 'voice-main' }, track, uploadBar(message)), time);
  let shown = null;
  const view = {
    node,
    update() {
      const mine = current?.id === media.id ? current : null;
      const state = !mine ? 'idle' : mine.loading ? 'loading' : mine.audio.paused ? 'paused' : 'playing';
      const total = media.duration_ms || (mine?.audio && Number.isFinite(mine.audio.duration) ? mine.audio.duration * 1000 : 0);
      const at = mine?.audio ? mine.audio.currentTime * 1000 : 0;
      fill.style.width = `${total ? Math.min(100, (at / total) * 100) : 0}%`;
      node.dataset.state = state;
      if (state !== shown) {
        shown = state;
        glyph.replaceChildren(state === 'loading' ? h('span', { class: 'spinner small' }) : icon(state === 'playing' ? 'pause' : 'play', { size: 18 }));
        button.setAttribute('aria-label', state === 'playing' ? t('Pause voice note') : t('Play voice note'));
      }
    },
  };
  if (playable) {
    if (!views.has(media.id)) views.set(media.id, new Set());
    views.get(media.id).add(view);
  }
  view.update();
  return node;
}

registerKind('voice', {
  render,
  preview: (message) => t('[Voice] {length}', { length: duration(mediaOf(message).duration_ms) }),
});
