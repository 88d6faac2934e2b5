// Me > Notifications: turn notifications on in this browser (asks its permission, subscribes to
// Web Push), and choose whether they show who wrote and what.

import { h, replace } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { toast } from '../ui/widgets.js';
import { humanError } from '../api.js';
import { t } from '../i18n.js';
import { enabled, loadSettings, previewsOn, setEnabled, setPreviews, support } from '../notify.js';

function switchRow(label, iconName, hint, onToggle) {
  const box = h('input', { type: 'checkbox', role: 'switch', class: 'switch', 'aria-label': label, onchange: () => onToggle(box) });
  const row = h('label', { class: 'toggle-row' }, icon(iconName, { size: 20 }), h('span', null, label, hint ? h('span', { class: 'muted small block' }, hint) : null), box);
  return { row, box };
}

export function mountNotifications(body) {
  const status = h('p', { class: 'muted', role: 'status' });
  const main = switchRow(t('Notifications'), 'bell', t('New messages, and friend requests, on this device'), async (box) => {
    box.disabled = true;
    try {
      const result = await setEnabled(box.checked);
      describe(result);
    } catch (error) {
      box.checked = false;
      toast(error.message && !error.status ? error.message : humanError(error), { kind: 'error' });
    } finally {
      box.disabled = false;
      render();
    }
  });
  const text = switchRow(t('Show message text in notifications'), 'edit', t('Off: a notification only says “New message”'), async (box) => {
    box.disabled = true;
    try {
      await setPreviews(box.checked);
    } catch (error) {
      box.checked = previewsOn();
      toast(humanError(error), { kind: 'error' });
    } finally {
      box.disabled = false;
    }
  });

  function describe(result) {
    if (!result?.on) status.textContent = t('Muted chats never notify.');
    else if (result.push) status.textContent = t('You will be notified even when kith is closed. Muted chats never notify.');
    else status.textContent = t('You will be notified while kith is open in a tab. Muted chats never notify.');
  }

  function render() {
    main.box.checked = enabled();
    text.box.checked = previewsOn();
    if (support() === 'none') {
      main.box.disabled = true;
      status.textContent = t('This browser cannot show notifications.');
    } else if (Notification.permission === 'denied') {
      status.textContent = t('Notifications are blocked for kith in this browser’s site settings.');
    }
  }

  replace(body, h('div', { class: 'toggles' }, main.row, text.row), status);
  render();
  describe({ on: enabled(), push: enabled() && support() === 'push' });
  loadSettings().then(render, () => {}); // the preview setting as the server has it now
  return { destroy() {} };
}
