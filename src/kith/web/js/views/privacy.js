// Me > Privacy: typing indicators, on or off in this browser (off: it neither sends nor shows them).

import { h, replace } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { t } from '../i18n.js';
import { setTypingEnabled, typingEnabled } from '../typing.js';

export function mountPrivacy(body) {
  const box = h('input', {
    type: 'checkbox',
    role: 'switch',
    class: 'switch',
    'aria-label': t('Typing indicators'),
    checked: typingEnabled(),
    onchange: () => setTypingEnabled(box.checked),
  });
  replace(
    body,
    h(
      'div',
      { class: 'toggles' },
      h(
        'label',
        { class: 'toggle-row' },
        icon('chat', { size: 20 }),
        h('span', null, t('Typing indicators'), h('span', { class: 'muted small block' }, t('In direct chats, “typing…” while you or they write. Off: you neither show it nor see it.'))),
        box,
      ),
    ),
    h('p', { class: 'muted' }, t('kith never shows when you were last online, nor whether you are. This choice is kept in this browser.')),
  );
  return { destroy() {} };
}
