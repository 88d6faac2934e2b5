// Files: an icon with the file's type, its name (as text, never markup), its size, and Download,
// which saves it under its own name. Files are never opened in the page.

import { h } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { fileSize } from '../ui/format.js';
import { busy, toast } from '../ui/widgets.js';
import { humanError, saveMedia } from '../api.js';
import { registerKind } from './registry.js';
import { mediaOf, uploadBar } from './media.js';
import { t } from '../i18n.js';

function extension(name) {
  const match = /\.([A-Za-z0-9]{1,5})$/.exec(name || '');
  return match ? match[1].toUpperCase() : '';
}

function render(message) {
  const media = mediaOf(message);
  const name = media.name || t('File');
  const ext = extension(name);
  const download = media.id
    ? h(
        'button',
        {
          class: 'icon-btn file-download',
          type: 'button',
          'aria-label': t('Download {name}', { name }),
          title: t('Download'),
          onclick: (event) => {
            busy(event.currentTarget, t('Downloading…'), () => saveMedia(media)).catch((error) => toast(humanError(error), { kind: 'error' }));
          },
        },
        icon('download'),
      )
    : null;
  return h(
    'div',
    { class: 'msg-file' },
    h('span', { class: 'file-icon', 'aria-hidden': 'true' }, icon('file', { size: 26 }), ext ? h('span', { class: 'file-ext' }, ext) : null),
    h(
      'div',
      { class: 'file-main' },
      h('div', { class: 'file-name', title: name, dir: 'auto' }, name),
      h('div', { class: 'file-size' }, fileSize(media.size)),
      uploadBar(message),
    ),
    download,
  );
}

registerKind('file', {
  render,
  preview: (message) => t('[File] {name}', { name: mediaOf(message).name || t('File') }),
});
