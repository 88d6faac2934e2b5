// Pictures: a thumbnail in the bubble, sized from the picture's width and height before it loads (so
// nothing jumps), and the full picture in a lightbox on a click. Escape or a click closes it.

import { h } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { toast } from '../ui/widgets.js';
import { cachedMediaUrl, humanError, mediaUrl, saveMedia } from '../api.js';
import { registerKind } from './registry.js';
import { mediaOf, uploadBar } from './media.js';
import { t } from '../i18n.js';

const MAX_WIDTH = 280;
const MAX_HEIGHT = 320;
const MIN_SIDE = 96;

/** The size a picture is shown at in its bubble: at most 280 x 320, at least 96 on each side. */
export function thumbnailBox(width, height) {
  const w = Number(width) || 4;
  const hgt = Number(height) || 3;
  const scale = Math.min(MAX_WIDTH / w, MAX_HEIGHT / hgt, 1);
  return {
    width: Math.round(Math.min(MAX_WIDTH, Math.max(MIN_SIDE, w * scale))),
    height: Math.round(Math.min(MAX_HEIGHT, Math.max(MIN_SIDE, hgt * scale))),
  };
}

function showInto(img, frame, url) {
  img.addEventListener('load', () => frame.classList.add('loaded'), { once: true });
  img.addEventListener('error', () => frame.classList.add('broken'), { once: true });
  img.src = url;
  if (img.complete && img.naturalWidth) frame.classList.add('loaded');
}

function render(message) {
  const media = mediaOf(message);
  const box = thumbnailBox(media.width, media.height);
  const img = h('img', { alt: '', decoding: 'async', draggable: 'false' });
  const frame = h(
    'button',
    {
      class: 'msg-image',
      type: 'button',
      style: { width: `${box.width}px`, aspectRatio: `${box.width} / ${box.height}` },
      'aria-label': t('Photo. Open it full size'),
      disabled: message.pending && !message.local_url,
      onclick: () => openLightbox(media, message.local_url || img.currentSrc || null),
    },
    img,
    h('span', { class: 'msg-image-broken' }, icon('image', { size: 28 }), h('span', null, t('Photo unavailable'))),
    uploadBar(message),
  );
  if (message.local_url) showInto(img, frame, message.local_url);
  else if (media.id) {
    const known = cachedMediaUrl(media.id, { thumbnail: true });
    if (known) showInto(img, frame, known);
    else mediaUrl(media.id, { thumbnail: true }).then((url) => showInto(img, frame, url), () => frame.classList.add('broken'));
  }
  return frame;
}

/**
 * The full picture over everything; a lower-resolution one (the thumbnail) shows while it loads.
 * With {prev, next} (a post's pictures) it has buttons and the arrow keys to go to the others.
 */
export function openLightbox(media, placeholderUrl = null, { prev = null, next = null } = {}) {
  const previous = document.activeElement;
  const img = h('img', { class: 'lightbox-img', alt: media.name || t('Photo'), draggable: 'false' });
  const close = () => {
    dialog.close();
    dialog.remove();
    if (previous?.isConnected) previous.focus({ preventScroll: true });
  };
  const save = h(
    'button',
    {
      class: 'icon-btn',
      type: 'button',
      'aria-label': t('Download'),
      title: t('Download'),
      onclick: (event) => {
        event.stopPropagation();
        if (media.id) saveMedia(media).catch((error) => toast(humanError(error), { kind: 'error' }));
      },
    },
    icon('download'),
  );
  const go = (to) => {
    close();
    to();
  };
  const step = (to, label, iconName) =>
    to ? h('button', { class: 'icon-btn', type: 'button', 'aria-label': label, title: label, onclick: (event) => { event.stopPropagation(); go(to); } }, icon(iconName)) : null;
  const bar = h(
    'div',
    { class: 'lightbox-bar' },
    h('span', { class: 'lightbox-name' }, media.name || t('Photo')),
    step(prev, t('Previous photo'), 'back'),
    step(next, t('Next photo'), 'right'),
    media.id ? save : null,
    h('button', { class: 'icon-btn', type: 'button', 'aria-label': t('Close'), title: t('Close (Esc)'), onclick: close }, icon('close')),
  );
  const dialog = h('dialog', { class: 'lightbox', 'aria-label': media.name || t('Photo') }, bar, h('div', { class: 'lightbox-stage' }, img));
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault();
    close();
  });
  dialog.addEventListener('keydown', (event) => {
    const to = event.key === 'ArrowLeft' ? prev : event.key === 'ArrowRight' ? next : null;
    if (!to) return;
    event.preventDefault();
    go(to);
  });
  dialog.addEventListener('click', (event) => {
    if (!event.target.closest('.lightbox-bar button')) close();
  });
  if (media.width && media.height) {
    // its own size (never blown up), shrunk to the screen; no jump when the full picture replaces the thumbnail
    img.style.width = `${media.width}px`;
    img.style.aspectRatio = `${media.width} / ${media.height}`;
  }
  if (placeholderUrl) img.src = placeholderUrl;
  if (media.id) {
    mediaUrl(media.id).then(
      (url) => {
        if (dialog.isConnected) img.src = url;
      },
      (error) => {
        if (dialog.isConnected && !placeholderUrl) toast(humanError(error), { kind: 'error' });
      },
    );
  }
  document.body.append(dialog);
  dialog.showModal();
  return close;
}

registerKind('image', {
  bubbleClass: 'bubble-media',
  render,
  preview: () => t('[Photo]'),
});
