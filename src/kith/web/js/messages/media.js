// What the picture, voice, video and file kinds share: the media of a message, and the upload's progress.

import { h } from '../ui/dom.js';
import { t } from '../i18n.js';

/** The message's Media ({id, kind, mime, size, name, width, height, duration_ms}); {} if it has none. */
export function mediaOf(message) {
  return message.media || {};
}

/** A thin progress bar while a pending message is uploading (null otherwise); it fills in place. */
export function uploadBar(message) {
  if (!message.upload || message.state !== 'sending') return null;
  const fill = h('span', { class: 'upload-fill' });
  const bar = h('span', { class: 'upload-bar', role: 'progressbar', 'aria-label': t('Uploading'), 'aria-valuemin': '0', 'aria-valuemax': '100' }, fill);
  const set = (fraction) => {
    const percent = Math.round(Math.min(1, Math.max(0, fraction)) * 100);
    fill.style.width = `${percent}%`;
    bar.setAttribute('aria-valuenow', String(percent));
  };
  set(message.progress || 0);
  message.watch?.(set);
  return bar;
}
