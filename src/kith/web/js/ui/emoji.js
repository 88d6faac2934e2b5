// The composer's emoji picker: a small built-in set in groups (nothing is fetched), the ones you
// used last first. A pick goes in at the caret (or over the selection); the picker stays open for
// more, and Escape, a click elsewhere or the button again closes it.

import { h } from './dom.js';
import { icon } from './icons.js';

// each group: its name, then "emoji name" pairs separated by commas
const GROUPS = [
  ['Smileys', '😀 grinning,😁 beaming,😂 tears of joy,🤣 rolling with laughter,😅 sweat smile,😆 laughing,😊 smiling,🙂 slightly smiling,🙃 upside-down,😉 winking,😇 halo,😍 heart eyes,😘 blowing a kiss,😋 yum,😜 winking with tongue,🤗 hugging,🤔 thinking,🤫 shushing,😐 neutral,😏 smirking,🙄 rolling eyes,😬 grimacing,😌 relieved,😴 sleeping,😷 with a mask,🥳 partying,😎 sunglasses,🤓 nerd,😕 confused,😟 worried,😮 open mouth,😳 flushed,🥺 pleading,😢 crying,😭 sobbing,😱 screaming,😤 huffing,😡 angry,🤯 mind blown'],
  ['Gestures', '👍 thumbs up,👎 thumbs down,👌 OK,✌️ victory,🤞 fingers crossed,🤝 handshake,👏 clapping,🙌 raising hands,🙏 thank you,💪 strong,👋 waving,🤙 call me,👉 pointing right,👈 pointing left,👀 eyes,🤷 shrugging,🤦 facepalm,🙋 raising a hand,🙇 bowing'],
  ['Hearts and symbols', '❤️ red heart,🧡 orange heart,💛 yellow heart,💚 green heart,💙 blue heart,💜 purple heart,🖤 black heart,💔 broken heart,💕 two hearts,💯 hundred points,✨ sparkles,🔥 fire,⭐ star,✅ done,❌ cross,❓ question,❗ exclamation,💤 sleepy,💬 speech balloon'],
  ['Animals and nature', '🐶 dog,🐱 cat,🐭 mouse,🐰 rabbit,🦊 fox,🐻 bear,🐼 panda,🐨 koala,🐯 tiger,🦁 lion,🐮 cow,🐷 pig,🐸 frog,🐵 monkey,🐔 chicken,🐧 penguin,🦋 butterfly,🌸 blossom,🌹 rose,🌻 sunflower,🌲 tree,🍀 four-leaf clover,🌈 rainbow,☀️ sun,🌙 moon,☔ rain,❄️ snowflake'],
  ['Food and drink', '🍎 apple,🍊 tangerine,🍉 watermelon,🍓 strawberry,🍑 peach,🍜 noodles,🍚 rice,🥟 dumpling,🍣 sushi,🍕 pizza,🍔 burger,🍟 fries,🍰 cake,🎂 birthday cake,🍦 ice cream,🍫 chocolate,☕ coffee,🍵 tea,🧋 bubble tea,🍺 beer,🍷 wine,🥂 cheers'],
  ['Things', '🎉 party,🎁 gift,🎈 balloon,🧧 red envelope,🏮 lantern,🧨 firecracker,🎆 fireworks,⚽ football,🏀 basketball,🎮 game,🎵 music,🎬 film,📷 camera,💻 laptop,📱 phone,⏰ alarm clock,💡 idea,📌 pin,✈️ plane,🚗 car,🏠 home,💰 money'],
].map(([name, list]) => ({ name, items: list.split(',').map((pair) => [pair.slice(0, pair.indexOf(' ')), pair.slice(pair.indexOf(' ') + 1)]) }));

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
    { class: 'icon-btn emoji-btn', type: 'button', 'aria-label': 'Emoji', title: 'Emoji', 'aria-haspopup': 'dialog', 'aria-expanded': 'false' },
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
    const groups = recent().length ? [{ name: 'Recently used', items: recent().map((e) => [e, NAMES.get(e)]) }, ...GROUPS] : GROUPS;
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
    picker = h('div', { class: 'emoji-picker', role: 'dialog', 'aria-label': 'Emoji' }, tabs, body);
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
