// Videos: the poster (a JPEG of the first frame) sized like a picture, a play button and the length
// (and the caption an official account gave it, its title and description, under it);
// a tap fetches the video (with the bearer token, as all media) and puts a <video controls> in its
// place. One plays at a time: starting another puts the last one back to its poster and lets its
// bytes go. A bubble redrawn while its video plays takes the same <video> element, so it plays on.

import { h } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { duration } from '../ui/format.js';
import { toast } from '../ui/widgets.js';
import { cachedMediaUrl, humanError, mediaBlob, mediaUrl } from '../api.js';
import { registerKind } from './registry.js';
import { mediaOf, uploadBar } from './media.js';
import { thumbnailBox } from './image.js';
import { t } from '../i18n.js';

let current = null; // {id, video, url, loading}
const views = new Map(); // media id -> Set(view)

function viewsOf(id) {
  const set = views.get(id) || new Set();
  for (const view of set) if (!view.node.isConnected) set.delete(view);
  return set;
}

/** Stop the video that plays (or loads), if any: its bubbles show their poster again. */
export function stopVideo() {
  const was = current;
  current = null;
  if (!was) return;
  if (was.video) {
    was.video.pause();
    was.video.removeAttribute('src');
    was.video.load(); // lets go of what it buffered
  }
  if (was.url) URL.revokeObjectURL(was.url);
  for (const view of viewsOf(was.id)) view.update();
}

async function play(media) {
  if (current?.id === media.id) return;
  stopVideo();
  const playing = { id: media.id, video: null, url: null, loading: true };
  current = playing;
  for (const view of viewsOf(media.id)) view.update();
  try {
    const blob = await mediaBlob(media.id);
    if (current !== playing) return;
    playing.url = URL.createObjectURL(blob);
    const video = h('video', { class: 'video-player', controls: true, preload: 'none', playsinline: true });
    video.src = playing.url;
    playing.video = video;
    playing.loading = false;
    for (const view of viewsOf(media.id)) view.update();
    await video.play();
  } catch (error) {
    if (current === playing) stopVideo();
    toast(error?.name === 'NotAllowedError' ? t('Press play again to watch.') : humanError(error), { kind: 'error' });
  }
}

function showPoster(img, frame, url) {
  img.addEventListener('load', () => frame.classList.add('loaded'), { once: true });
  img.addEventListener('error', () => frame.classList.add('broken'), { once: true });
  img.src = url;
  if (img.complete && img.naturalWidth) frame.classList.add('loaded');
}

function render(message) {
  const media = mediaOf(message);
  const box = thumbnailBox(media.width, media.height);
  const size = { width: `${box.width}px`, aspectRatio: `${box.width} / ${box.height}` };
  const length = h('span', { class: 'video-length' }, icon('video', { size: 14 }), media.duration_ms ? duration(media.duration_ms) : '');
  if (!media.id) {
    // on its way out: the file itself, drawn by the browser where it can
    const preview = message.local_url ? h('video', { class: 'video-local', src: message.local_url, muted: true, preload: 'metadata', playsinline: true }) : null;
    return h('div', { class: 'msg-video loaded', style: size }, preview, length, uploadBar(message));
  }
  const img = h('img', { alt: '', decoding: 'async', draggable: 'false' });
  const glyph = h('span', { class: 'video-glyph' }, icon('play', { size: 26 }));
  const button = h('button', { class: 'video-play', type: 'button', 'aria-label': t('Play video'), onclick: () => play(media) }, glyph);
  const poster = h(
    'div',
    { class: 'video-poster' },
    img,
    h('span', { class: 'msg-image-broken' }, icon('video', { size: 28 }), h('span', null, t('Video unavailable'))),
    button,
    length,
  );
  const frame = h('div', { class: 'msg-video', style: size }, poster);
  const known = cachedMediaUrl(media.id, { thumbnail: true });
  if (known) showPoster(img, frame, known);
  else mediaUrl(media.id, { thumbnail: true }).then((url) => showPoster(img, frame, url), () => frame.classList.add('broken'));

  let shown = null;
  const view = {
    node: frame,
    update() {
      const mine = current?.id === media.id ? current : null;
      const state = !mine ? 'poster' : mine.loading ? 'loading' : 'playing';
      frame.dataset.state = state;
      if (state === 'playing') {
        if (mine.video.parentNode !== frame) frame.replaceChildren(mine.video); // from a bubble drawn before
      } else if (poster.parentNode !== frame) {
        frame.replaceChildren(poster);
      }
      if (state !== shown) {
        glyph.replaceChildren(state === 'loading' ? h('span', { class: 'spinner' }) : icon('play', { size: 26 }));
        button.disabled = state === 'loading';
      }
      shown = state;
    },
  };
  if (!views.has(media.id)) views.set(media.id, new Set());
  views.get(media.id).add(view);
  view.update();
  // an official account's video may have a title and a description: its caption, under it
  return message.text ? h('div', { class: 'msg-video-captioned', style: { width: size.width } }, frame, h('div', { class: 'video-caption' }, message.text)) : frame;
}

registerKind('video', {
  bubbleClass: 'bubble-media',
  render,
  preview: (message) => t('[Video] {text}', { text: message.text ? message.text.split('\n')[0] : duration(mediaOf(message).duration_ms) }),
});
