// Writing a Moments post: text, up to 9 pictures (each uploaded as soon as it is chosen), a place
// and who may see it. The post gets its client id when the draft is started and keeps it through
// every retry, so a post sent twice (a lost answer, a second click) is stored once. Closing the
// dialog keeps the draft for next time (in this page only); posting ends it.

import { h, replace } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { busy, openDialog, toast } from '../ui/widgets.js';
import { humanError } from '../api.js';
import { t } from '../i18n.js';
import { state } from '../store.js';
import { uploadImage } from '../uploads.js';
import { createPost } from '../moments.js';
import { friendPicker } from './dialogs.js';
import { audienceLabel } from './moment-post.js';

const MAX_IMAGES = 9;
const MAX_TEXT_BYTES = 8 * 1024;
const MAX_PLACE = 80;
const IMAGE_TYPES = /^image\/(jpeg|png|webp|gif)$/;

const CHOICES = [
  { value: 'friends', label: t('All friends'), hint: t('Everyone you are friends with'), icon: 'contacts' },
  { value: 'only', label: t('Only…'), hint: t('The friends you pick'), icon: 'userCheck' },
  { value: 'except', label: t('All except…'), hint: t('Everyone but the friends you pick'), icon: 'userMinus' },
  { value: 'me', label: t('Only me'), hint: t('Nobody else sees it'), icon: 'lock' },
];

let draft = null;

function newDraft() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return {
    userId: state.me?.id,
    id: `p${Date.now().toString(36)}${[...bytes].map((b) => b.toString(36).padStart(2, '0')).join('')}`.slice(0, 40),
    text: '',
    place: '',
    audience: 'friends',
    people: new Set(),
    images: [], // [{key, file, url, state: 'uploading'|'done'|'failed', progress, media, error, job}]
  };
}

/** Signed out: the draft (and its pictures) go. */
export function dropDraft() {
  if (!draft) return;
  for (const item of draft.images) {
    item.job?.abort();
    URL.revokeObjectURL(item.url);
  }
  draft = null;
}

let keys = 0;

export function openCompose() {
  if (draft && draft.userId !== state.me?.id) dropDraft();
  if (!draft) draft = newDraft();
  const d = draft;

  const text = h('textarea', { class: 'input compose-text', rows: 4, dir: 'auto', placeholder: t('What’s new?'), 'aria-label': t('Text') });
  text.value = d.text;
  const fileInput = h('input', { type: 'file', accept: 'image/jpeg,image/png,image/webp,image/gif', multiple: true, hidden: true, 'aria-label': t('Choose photos') });
  const tiles = h('div', { class: 'compose-images', role: 'group', 'aria-label': t('Photos') });
  const place = h('input', { class: 'input compose-place-input', type: 'text', maxlength: String(MAX_PLACE), dir: 'auto', placeholder: t('Add a place (optional)'), 'aria-label': t('Place'), autocomplete: 'off' });
  place.value = d.place;
  const audienceValue = h('span', { class: 'compose-audience-value' });
  const audienceButton = h('button', { class: 'compose-audience', type: 'button', 'aria-expanded': 'false' }, icon('contacts', { size: 18 }), h('span', { class: 'compose-audience-label' }, t('Who can see it')), audienceValue, icon('down', { size: 16 }));
  const audiencePanel = h('div', { class: 'compose-audience-panel', hidden: true });
  const error = h('div', { class: 'form-error', role: 'alert' });
  const postButton = h('button', { class: 'btn primary', type: 'submit' }, t('Post'));
  const form = h(
    'form',
    { class: 'compose' },
    text,
    tiles,
    fileInput,
    h('label', { class: 'compose-place' }, icon('place', { size: 18 }), place),
    audienceButton,
    audiencePanel,
    error,
    h('div', { class: 'dialog-actions' }, h('button', { class: 'btn', type: 'button', onclick: () => dialog.close() }, t('Cancel')), postButton),
  );

  const uploading = () => d.images.some((i) => i.state === 'uploading');
  const failed = () => d.images.some((i) => i.state === 'failed');
  function updateButton() {
    const empty = !text.value.trim() && !d.images.length;
    postButton.disabled = empty || uploading() || failed() || ((d.audience === 'only' || d.audience === 'except') && !d.people.size);
    postButton.title = uploading() ? t('Waiting for the photos to upload') : failed() ? t('Retry or remove the photos that failed') : '';
  }

  function renderTiles() {
    const nodes = d.images.map((item, index) => {
      const fill = h('span', { class: 'upload-fill', style: { width: `${Math.round(item.progress * 100)}%` } });
      item.fill = fill;
      return h(
        'div',
        { class: `compose-tile ${item.state}`, 'data-key': item.key },
        h('img', { class: 'preview-img', src: item.url, alt: t('Photo {i}', { i: index + 1 }) }),
        item.state === 'uploading' ? h('span', { class: 'upload-bar', role: 'progressbar', 'aria-label': t('Uploading') }, fill) : null,
        item.state === 'failed'
          ? h('div', { class: 'compose-tile-failed' }, h('span', null, humanError(item.error)), h('button', { class: 'btn small', type: 'button', onclick: () => start(item) }, t('Retry')))
          : null,
        h('button', { class: 'compose-tile-remove', type: 'button', 'aria-label': t('Remove photo {i}', { i: index + 1 }), title: t('Remove'), onclick: () => removeImage(item) }, icon('close', { size: 14 })),
      );
    });
    if (d.images.length < MAX_IMAGES) {
      nodes.push(h('button', { class: 'compose-add', type: 'button', 'aria-label': t('Add photos'), title: t('Add photos'), onclick: () => fileInput.click() }, icon('plus', { size: 26 }), h('span', null, d.images.length ? `${d.images.length} / ${MAX_IMAGES}` : t('Photos'))));
    }
    replace(tiles, nodes);
    updateButton();
  }

  function start(item) {
    item.state = 'uploading';
    item.error = null;
    item.progress = 0;
    item.job = uploadImage(item.file, {
      onprogress: (fraction) => {
        item.progress = fraction;
        if (item.fill) item.fill.style.width = `${Math.round(fraction * 100)}%`;
      },
    });
    item.job.promise.then(
      (media) => {
        item.media = media;
        item.state = 'done';
      },
      (err) => {
        item.error = err;
        item.state = err.code === 'aborted' ? 'gone' : 'failed';
      },
    ).finally(() => {
      item.job = null;
      if (draft === d) d.redraw?.(); // the dialog open now, which may be a later one
    });
    renderTiles();
  }

  function removeImage(item) {
    item.job?.abort();
    d.images = d.images.filter((i) => i !== item);
    setTimeout(() => URL.revokeObjectURL(item.url), 1000);
    renderTiles();
    tiles.querySelector('.compose-add')?.focus();
  }

  function addFiles(files) {
    const pictures = files.filter((f) => IMAGE_TYPES.test(f.type));
    if (pictures.length < files.length) toast(t('Only pictures (JPEG, PNG, WebP or GIF) can go in a post.'), { kind: 'error' });
    const room = MAX_IMAGES - d.images.length;
    if (pictures.length > room) toast(t('A post holds at most {n} photos; the rest were left out.', { n: MAX_IMAGES }));
    for (const file of pictures.slice(0, Math.max(0, room))) {
      const item = { key: ++keys, file, url: URL.createObjectURL(file), state: 'uploading', progress: 0, media: null, error: null, job: null };
      d.images.push(item);
      start(item);
    }
    renderTiles();
  }

  fileInput.addEventListener('change', () => {
    const files = [...fileInput.files];
    fileInput.value = '';
    addFiles(files);
  });
  form.addEventListener('paste', (event) => {
    const files = [...(event.clipboardData?.files || [])];
    if (files.length) {
      event.preventDefault();
      addFiles(files);
    }
  });
  form.addEventListener('dragover', (event) => event.preventDefault());
  form.addEventListener('drop', (event) => {
    const files = [...(event.dataTransfer?.files || [])];
    if (!files.length) return;
    event.preventDefault();
    addFiles(files);
  });

  // ---- who can see it ----
  let picker = null;
  function renderAudience() {
    const chosen = CHOICES.find((c) => c.value === d.audience);
    audienceValue.textContent = d.audience === 'only' || d.audience === 'except'
      ? (d.people.size ? audienceLabel(d.audience, [...d.people]) : t('Pick friends'))
      : chosen.label;
    audienceButton.querySelector('.icon').replaceWith(icon(chosen.icon, { size: 18 }));
    const radios = h(
      'div',
      { class: 'choice-list', role: 'radiogroup', 'aria-label': t('Who can see it') },
      CHOICES.map((c) =>
        h(
          'label',
          { class: 'choice' },
          h('input', {
            type: 'radio',
            name: 'audience',
            value: c.value,
            checked: c.value === d.audience,
            onchange: () => {
              d.audience = c.value;
              renderAudience();
              audiencePanel.querySelector(`input[value="${c.value}"]`)?.focus();
            },
          }),
          h('span', { class: 'choice-text' }, h('span', { class: 'choice-label' }, c.label), h('span', { class: 'choice-hint' }, c.hint)),
        ),
      ),
    );
    const needsPeople = d.audience === 'only' || d.audience === 'except';
    if (needsPeople && !picker) {
      picker = friendPicker({
        initial: d.people,
        onChange: (chosenIds) => {
          d.people = new Set(chosenIds);
          audienceValue.textContent = d.people.size ? audienceLabel(d.audience, [...d.people]) : t('Pick friends');
          updateButton();
        },
      });
    }
    replace(audiencePanel, radios, needsPeople ? [h('div', { class: 'field-label compose-pick-label' }, d.audience === 'only' ? t('Who can see it') : t('Who cannot see it')), picker.el] : null);
    updateButton();
  }
  audienceButton.addEventListener('click', () => {
    const open = audiencePanel.hidden;
    audiencePanel.hidden = !open;
    audienceButton.setAttribute('aria-expanded', open ? 'true' : 'false');
    if (open) audiencePanel.querySelector('input:checked')?.focus();
  });

  text.addEventListener('input', () => {
    d.text = text.value;
    error.textContent = '';
    updateButton();
  });
  place.addEventListener('input', () => {
    d.place = place.value;
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = { id: d.id, audience: d.audience };
    const words = text.value.trim();
    if (words) body.text = words;
    if (new TextEncoder().encode(words).length > MAX_TEXT_BYTES) {
      error.textContent = t('That text is too long for a post.');
      return;
    }
    const images = d.images.filter((i) => i.state === 'done').map((i) => i.media.id);
    if (images.length) body.images = images;
    if (place.value.trim()) body.place = place.value.trim();
    if (d.audience === 'only' || d.audience === 'except') body.people = [...d.people];
    if (!body.text && !body.images) return;
    try {
      await busy(postButton, t('Posting…'), () => createPost(body));
    } catch (err) {
      error.textContent = humanError(err);
      return;
    }
    draft = null;
    dialog.close();
    for (const item of d.images) setTimeout(() => URL.revokeObjectURL(item.url), 10_000);
    toast(d.audience === 'me' ? t('Posted. Only you can see it.') : t('Posted.'));
  });

  const dialog = openDialog({
    title: t('New post'),
    className: 'compose-dialog',
    content: form,
    onClose: () => {
      if (d.redraw === renderTiles) d.redraw = null;
    },
  });
  d.redraw = renderTiles;
  renderTiles();
  renderAudience();
  text.focus();
  return dialog;
}
