// The composer's emoji picker: a small built-in set in groups (nothing is fetched), the ones you
// used last first. A pick goes in at the caret (or over the selection); the picker stays open for
// more, and Escape, a click elsewhere or the button again closes it.

import { h } from './dom.js';
import { icon } from './icons.js';
import { t } from '../i18n.js';

// each group: its name, then [emoji, name] pairs (👌 is “OK” in Chinese too)
const GROUPS = [
  {
    name: t('Smileys'),
    items: [
      ['😀', t('grinning')], ['😁', t('beaming')], ['😂', t('tears of joy')], ['🤣', t('rolling with laughter')], ['😅', t('sweat smile')],
      ['😆', t('laughing')], ['😊', t('smiling')], ['🙂', t('slightly smiling')], ['🙃', t('upside-down')], ['😉', t('winking')], ['😇', t('halo')],
      ['😍', t('heart eyes')], ['😘', t('blowing a kiss')], ['😋', t('yum')], ['😜', t('winking with tongue')], ['🤗', t('hugging')], ['🤔', t('thinking')],
      ['🤫', t('shushing')], ['😐', t('neutral')], ['😏', t('smirking')], ['🙄', t('rolling eyes')], ['😬', t('grimacing')], ['😌', t('relieved')],
      ['😴', t('sleeping')], ['😷', t('with a mask')], ['🥳', t('partying')], ['😎', t('sunglasses')], ['🤓', t('nerd')], ['😕', t('confused')],
      ['😟', t('worried')], ['😮', t('open mouth')], ['😳', t('flushed')], ['🥺', t('pleading')], ['😢', t('crying')], ['😭', t('sobbing')],
      ['😱', t('screaming')], ['😤', t('huffing')], ['😡', t('angry')], ['🤯', t('mind blown')],
    ],
  },
  {
    name: t('Gestures'),
    items: [
      ['👍', t('thumbs up')], ['👎', t('thumbs down')], ['👌', 'OK'], ['✌️', t('victory')], ['🤞', t('fingers crossed')], ['🤝', t('handshake')],
      ['👏', t('clapping')], ['🙌', t('raising hands')], ['🙏', t('thank you')], ['💪', t('strong')], ['👋', t('waving')], ['🤙', t('call me')],
      ['👉', t('pointing right')], ['👈', t('pointing left')], ['👀', t('eyes')], ['🤷', t('shrugging')], ['🤦', t('facepalm')],
      ['🙋', t('raising a hand')], ['🙇', t('bowing')],
    ],
  },
  {
    name: t('Hearts and symbols'),
    items: [
      ['❤️', t('red heart')], ['🧡', t('orange heart')], ['💛', t('yellow heart')], ['💚', t('green heart')], ['💙', t('blue heart')],
      ['💜', t('purple heart')], ['🖤', t('black heart')], ['💔', t('broken heart')], ['💕', t('two hearts')], ['💯', t('hundred points')],
      ['✨', t('sparkles')], ['🔥', t('fire')], ['⭐', t('star')], ['✅', t('done')], ['❌', t('cross')], ['❓', t('question')], ['❗', t('exclamation')],
      ['💤', t('sleepy')], ['💬', t('speech balloon')],
    ],
  },
  {
    name: t('Animals and nature'),
    items: [
      ['🐶', t('dog')], ['🐱', t('cat')], ['🐭', t('mouse')], ['🐰', t('rabbit')], ['🦊', t('fox')], ['🐻', t('bear')], ['🐼', t('panda')],
      ['🐨', t('koala')], ['🐯', t('tiger')], ['🦁', t('lion')], ['🐮', t('cow')], ['🐷', t('pig')], ['🐸', t('frog')], ['🐵', t('monkey')],
      ['🐔', t('chicken')], ['🐧', t('penguin')], ['🦋', t('butterfly')], ['🌸', t('blossom')], ['🌹', t('rose')], ['🌻', t('sunflower')], ['🌲', t('tree')],
      ['🍀', t('four-leaf clover')], ['🌈', t('rainbow')], ['☀️', t('sun')], ['🌙', t('moon')], ['☔', t('rain')], ['❄️', t('snowflake')],
    ],
  },
  {
    name: t('Food and drink'),
    items: [
      ['🍎', t('apple')], ['🍊', t('tangerine')], ['🍉', t('watermelon')], ['🍓', t('strawberry')], ['🍑', t('peach')], ['🍜', t('noodles')],
      ['🍚', t('rice')], ['🥟', t('dumpling')], ['🍣', t('sushi')], ['🍕', t('pizza')], ['🍔', t('burger')], ['🍟', t('fries')], ['🍰', t('cake')],
      ['🎂', t('birthday cake')], ['🍦', t('ice cream')], ['🍫', t('chocolate')], ['☕', t('coffee')], ['🍵', t('tea')], ['🧋', t('bubble tea')],
      ['🍺', t('beer')], ['🍷', t('wine')], ['🥂', t('cheers')],
    ],
  },
  {
    name: t('Things'),
    items: [
      ['🎉', t('party')], ['🎁', t('gift')], ['🎈', t('balloon')], ['🧧', t('red envelope')], ['🏮', t('lantern')], ['🧨', t('firecracker')],
      ['🎆', t('fireworks')], ['⚽', t('football')], ['🏀', t('basketball')], ['🎮', t('game')], ['🎵', t('music')], ['🎬', t('film')], ['📷', t('camera')],
      ['💻', t('laptop')], ['📱', t('phone')], ['⏰', t('alarm clock')], ['💡', t('idea')], ['📌', t('pin')], ['✈️', t('plane')], ['🚗', t('car')],
      ['🏠', t('home')], ['💰', t('money')],
    ],
  },
];

const NAMES = new Map(GROUPS.flatMap((g) => g.items));
const RECENT_KEY = 'kith.emoji.recent';
const RECENT_MAX = 16;
const COLUMNS = 8; // the grid's (app.css), for the arrow keys

function recent() {
  try {
    const list = JSON.parse(localStorage.getItem(RECENT_KEY) || '[]');
    return Array.isArray(list) ? list.filter((e) => NAMES.has(e)).slice(0, RECENT_MAX) : [];
  } catch {
    return [];
  }
}

function remember(emoji) {
  try {
    localStorage.setItem(RECENT_KEY, JSON.stringify([emoji, ...recent().filter((e) => e !== emoji)].slice(0, RECENT_MAX)));
  } catch {
    // no storage: nothing is remembered
  }
}

/** The emoji an arrow key moves to from ``from``: along the groups, or a row up or down. */
function neighbour(from, key) {
  if (!from?.classList.contains('emoji')) return null;
  const grids = [...from.closest('.emoji-picker').querySelectorAll('.emoji-grid')];
  const all = grids.flatMap((g) => [...g.children]);
  if (key === 'ArrowRight' || key === 'ArrowLeft') return all[all.indexOf(from) + (key === 'ArrowRight' ? 1 : -1)] || from;
  if (key !== 'ArrowDown' && key !== 'ArrowUp') return null;
  const grid = from.parentElement;
  const items = [...grid.children];
  const at = items.indexOf(from);
  const column = at % COLUMNS;
  if (key === 'ArrowDown') {
    if (at + COLUMNS < items.length) return items[at + COLUMNS];
    if (Math.floor(at / COLUMNS) < Math.floor((items.length - 1) / COLUMNS)) return items[items.length - 1];
    const below = grids[grids.indexOf(grid) + 1];
    return below ? below.children[Math.min(column, below.children.length - 1)] : from;
  }
  if (at - COLUMNS >= 0) return items[at - COLUMNS];
  const above = grids[grids.indexOf(grid) - 1];
  if (!above) return from;
  const last = above.children.length - 1;
  return above.children[Math.min(Math.floor(last / COLUMNS) * COLUMNS + column, last)];
}

/** Put ``text`` into a text field at its caret, as if typed (its input listeners run). */
export function insertAtCaret(input, text) {
  const start = input.selectionStart ?? input.value.length;
  const end = input.selectionEnd ?? start;
  input.setRangeText(text, start, end, 'end');
  input.dispatchEvent(new Event('input', { bubbles: true }));
}

/**
 * The emoji button for a text field; the picker opens inside ``container`` (positioned above it).
 * Returns {button, close()}.
 */
export function emojiPicker(input, container) {
  let picker = null;
  const button = h(
    'button',
    { class: 'icon-btn emoji-btn', type: 'button', 'aria-label': t('Emoji'), title: t('Emoji'), 'aria-haspopup': 'dialog', 'aria-expanded': 'false' },
    icon('smile'),
  );

  function pick(emoji) {
    insertAtCaret(input, emoji);
    remember(emoji);
  }

  function close({ focus = true } = {}) {
    if (!picker) return;
    picker.remove();
    picker = null;
    button.setAttribute('aria-expanded', 'false');
    document.removeEventListener('pointerdown', outside, true);
    if (focus) input.focus({ preventScroll: true });
  }

  function outside(event) {
    if (picker && !picker.contains(event.target) && !button.contains(event.target)) close({ focus: false });
  }

  function open() {
    const groups = recent().length ? [{ name: t('Recently used'), items: recent().map((e) => [e, NAMES.get(e)]) }, ...GROUPS] : GROUPS;
    const sections = groups.map((g, n) =>
      h(
        'section',
        { class: 'emoji-group', 'aria-labelledby': `emoji-group-${n}` },
        h('h3', { id: `emoji-group-${n}` }, g.name),
        h(
          'div',
          { class: 'emoji-grid' },
          g.items.map(([emoji, name]) =>
            h('button', { class: 'emoji', type: 'button', 'aria-label': name, title: name, tabindex: '-1', onclick: () => pick(emoji) }, emoji),
          ),
        ),
      ),
    );
    const body = h('div', { class: 'emoji-body' }, sections);
    const tabs = h(
      'div',
      { class: 'emoji-tabs' },
      groups.map((g, n) =>
        h(
          'button',
          { class: 'emoji-tab', type: 'button', 'aria-label': g.name, title: g.name, onclick: () => sections[n].scrollIntoView({ block: 'start' }) },
          g.items[0][0],
        ),
      ),
    );
    picker = h('div', { class: 'emoji-picker', role: 'dialog', 'aria-label': t('Emoji') }, tabs, body);
    picker.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.preventDefault();
        event.stopPropagation();
        close();
        return;
      }
      const next = neighbour(document.activeElement, event.key);
      if (!next) return;
      event.preventDefault();
      next.focus();
      next.scrollIntoView({ block: 'nearest' });
    });
    const first = picker.querySelector('.emoji');
    first.tabIndex = 0; // one tab stop for the grid; the arrow keys move within it
    picker.addEventListener('focusin', (event) => {
      if (!event.target.classList.contains('emoji')) return;
      for (const b of picker.querySelectorAll('.emoji[tabindex="0"]')) b.tabIndex = -1;
      event.target.tabIndex = 0;
    });
    container.append(picker);
    button.setAttribute('aria-expanded', 'true');
    document.addEventListener('pointerdown', outside, true);
    first.focus({ preventScroll: true });
  }

  button.addEventListener('click', () => (picker ? close() : open()));
  return { button, close: () => close({ focus: false }) };
}
