// The Moments tab: your friends' posts, newest first (#/moments), a person's album
// (#/moments/users/<id>/posts), one post (#/moments/posts/<id>) and the notices of likes and comments
// on yours (#/moments/notifications). On a desktop the list pane holds the tab's places; on a phone
// the feed is the tab's first screen (mainFirst in tabs.js). Me → Moments holds the time window.

import { h, reconcile, replace } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { momentTime } from '../ui/format.js';
import { avatar, badge, emptyState, toast } from '../ui/widgets.js';
import { cachedMediaUrl, humanError, mediaUrl } from '../api.js';
import { t, tn } from '../i18n.js';
import { isMe, state, subscribe } from '../store.js';
import {
  TIMELINE, albumKey, clearNotes, feedOf, feedPosts, loadFeed, loadPost, loadSettings, markNotesSeen, moments,
  pictureOf, saveWindow, unseenNotes, who,
} from '../moments.js';
import { go } from '../router.js';
import { albumHref, commentComposer, postHref, renderPost } from './moment-post.js';
import { openCompose } from './moment-compose.js';

const STALE_MS = 15_000; // a feed shown again after this long is read again

const composeButton = () =>
  h('button', { class: 'icon-btn', type: 'button', 'aria-label': t('New post'), title: t('New post'), onclick: () => openCompose() }, icon('camera'));

// ---- the list pane (desktop): the tab's places ------------------------------------------------

export function mountList(el, route) {
  let current = route;
  const menu = h('ul', { class: 'contact-list moments-menu', 'aria-label': t('Moments') });
  el.replaceChildren(
    h('header', { class: 'pane-header' }, h('h1', null, t('Moments'))),
    h('div', { class: 'pane-scroll' }, menu, h('p', { class: 'muted small pad moments-note' }, t('Posts are seen only by your friends. Likes and comments are seen only by friends of whoever wrote them.'))),
  );

  function render() {
    const me = state.me?.id;
    const path = current.path.join('/');
    const notes = unseenNotes();
    const items = [
      { href: '#/moments', key: '', label: t('Timeline'), sub: t('Your friends’ posts'), icon: 'moments' },
      { href: '#/moments/notifications', key: 'notifications', label: t('Notifications'), sub: notes ? t('{n} new', { n: notes }) : t('Likes and comments on yours'), icon: 'bell', count: notes },
      { href: albumHref(me), key: `users/${me}/posts`, label: t('My posts'), sub: t('Everything you have shared'), icon: 'me' },
      { href: '#/me/moments', key: null, label: t('Settings'), sub: t('How far back friends see your posts'), icon: 'clock' },
    ];
    replace(
      menu,
      items.map((item) =>
        h(
          'li',
          null,
          h(
            'a',
            { class: 'contact-item', href: item.href, 'aria-current': item.key === path ? 'true' : null },
            h('span', { class: 'avatar tile' }, icon(item.icon, { size: 20 })),
            h('span', { class: 'contact-main' }, h('span', { class: 'contact-name' }, item.label), h('span', { class: 'contact-sub' }, item.sub)),
            item.count ? badge(item.count, { label: t('{n} new', { n: item.count }) }) : null,
          ),
        ),
      ),
    );
  }
  const unsubscribe = subscribe(['moment-notes', 'me', 'ready'], render);
  render();
  return {
    update(next) {
      current = next;
      render();
    },
    destroy: unsubscribe,
  };
}

// ---- the main pane ----------------------------------------------------------------------------

export function mountMain(el, route) {
  const [section, id, rest] = route.path;
  if (!section) return mountFeed(el, TIMELINE);
  if (section === 'notifications') return mountNotes(el);
  if (section === 'posts' && Number(id)) return mountPostPage(el, Number(id));
  if (section === 'users' && Number(id) && (rest === 'posts' || rest === undefined)) return mountFeed(el, albumKey(Number(id)), Number(id));
  el.replaceChildren(h('div', { class: 'main-empty' }, emptyState('moments', t('Nothing here'), t('That page does not exist.'), h('a', { class: 'btn', href: '#/moments' }, t('Go to Moments')))));
  return { destroy() {} };
}

function pageShell(el, header, label) {
  const scroll = h('div', { class: 'page-scroll moments-scroll' });
  const column = h('div', { class: 'moments-column' });
  scroll.append(column);
  el.replaceChildren(h('section', { class: 'page moments-page', 'aria-label': label }, header, scroll));
  return { scroll, column };
}

const backLink = (href = '#/moments', label = t('Back to Moments')) => h('a', { class: 'icon-btn back', href, 'aria-label': label }, icon('back'));

/** Redraw a view every minute, for its "5 minutes ago". */
function everyMinute(fn) {
  const timer = setInterval(fn, 60_000);
  return () => clearInterval(timer);
}

/** What the posts of a view share: the comment box, the unfolded texts, and their drawing. */
function postList(list, ctx) {
  let generation = 0; // bumped when names or avatars may have changed: every card is drawn again
  return {
    names() {
      generation += 1;
    },
    draw(posts) {
      reconcile(
        list,
        posts,
        (p) => p.id,
        (p) => JSON.stringify([generation, p, momentTime(p.created_at), ctx.composer.sig(p.id), ctx.expanded.has(p.id)]),
        (p) => renderPost(p, ctx),
      );
    },
  };
}

function mountFeed(el, key, userId = null) {
  const album = userId !== null;
  const mine = album && isMe(userId);
  const feed = feedOf(key);
  const noteLink = h('a', { class: 'icon-btn narrow-only notes-btn', href: '#/moments/notifications', 'aria-label': t('Notifications'), title: t('Notifications') }, icon('bell'));
  const title = h('h2', { class: album ? '' : 'feed-title' });
  const header = album
    ? h('header', { class: 'pane-header' }, backLink(), title, mine ? composeButton() : null)
    : h(
        'header',
        { class: 'pane-header' },
        title,
        noteLink,
        h('a', { class: 'icon-btn narrow-only', href: albumHref(state.me?.id), 'aria-label': t('My posts'), title: t('My posts') }, icon('me')),
        composeButton(),
      );
  const { scroll, column } = pageShell(el, header, album ? t('Posts') : t('Moments'));
  const top = h('div', { class: 'moments-top' });
  const list = h('div', { class: 'moment-list' });
  const end = h('div', { class: 'moments-end' });
  column.append(top, list, end);

  const ctx = { detail: false, expanded: new Set(), rerender: () => render(), composer: null };
  ctx.composer = commentComposer(() => render());
  const posts = postList(list, ctx);
  let gone = null; // the album is not ours to see (a 404)

  function person() {
    if (!album) return null;
    if (isMe(userId)) return state.me;
    return state.friends.get(userId)?.user || state.users.get(userId) || feedPosts(key)[0]?.author || null;
  }

  function renderTop() {
    const nodes = [];
    if (album) {
      const user = person();
      title.textContent = mine ? t('My posts') : user ? who(user) : t('Posts');
      if (user) {
        nodes.push(
          h(
            'div',
            { class: 'album-hero' },
            avatar(who(user), user.id, { size: 64, picture: pictureOf(user) }),
            h(
              'div',
              { class: 'album-who' },
              h('div', { class: 'album-name', dir: 'auto' }, who(user)),
              user.handle ? h('div', { class: 'muted' }, `@${user.handle}`) : null,
              user.status ? h('div', { class: 'album-status', dir: 'auto' }, user.status) : null,
            ),
            !mine && state.friends.has(userId) ? h('a', { class: 'btn small', href: `#/contacts/user/${userId}` }, t('Profile')) : null,
          ),
        );
      }
    } else {
      title.textContent = t('Moments');
      const unseen = unseenNotes();
      noteLink.classList.toggle('unseen', Boolean(unseen)); // a dot: the count is on the tab and the pill
      noteLink.setAttribute('aria-label', unseen ? t('Notifications, {n} new', { n: unseen }) : t('Notifications'));
      if (unseen) {
        const newest = moments.notes[0];
        const from = newest?.data?.user || newest?.data?.comment?.user;
        nodes.push(
          h(
            'a',
            { class: 'notes-pill', href: '#/moments/notifications' },
            from ? avatar(who(from), from.id, { size: 26, picture: pictureOf(from) }) : icon('bell', { size: 18 }),
            h('span', null, tn(unseen, '{n} new notification', '{n} new notifications')),
            icon('right', { size: 16 }),
          ),
        );
      }
    }
    if (!album || mine) {
      nodes.push(
        h(
          'button',
          { class: 'share-card', type: 'button', onclick: () => openCompose() },
          avatar(state.me?.display_name, state.me?.id, { size: 40, picture: state.me?.avatar }),
          h('span', { class: 'share-prompt' }, t('Share a moment…')),
          h('span', { class: 'share-icon' }, icon('image', { size: 20 })),
        ),
      );
    }
    replace(top, nodes);
  }

  function renderEnd() {
    if (gone) {
      replace(end);
      return;
    }
    if (feed.error && !feed.loading) {
      replace(end, h('div', { class: 'moments-error' }, h('span', null, humanError(feed.error)), h('button', { class: 'btn small', type: 'button', onclick: () => more() }, t('Try again'))));
    } else if (feed.loading || !feed.loaded) {
      replace(end, feed.ids.length ? h('div', { class: 'moments-loading' }, h('span', { class: 'spinner', role: 'status', 'aria-label': t('Loading') })) : skeleton());
    } else if (feed.next) {
      replace(end, h('button', { class: 'btn load-more', type: 'button', onclick: () => more() }, t('Load more')));
    } else if (feed.ids.length) {
      replace(end, h('div', { class: 'moments-done' }, album && !mine ? t('That is all you can see.') : t('That is everything.')));
    } else {
      replace(end, emptyFeed());
    }
  }

  function emptyFeed() {
    if (!album) return emptyState('moments', t('No posts yet'), t('What you and your friends share shows up here, newest first.'), h('button', { class: 'btn primary', type: 'button', onclick: () => openCompose() }, icon('camera', { size: 18 }), t('New post')));
    if (mine) return emptyState('moments', t('You have not posted yet'), t('Share a few words or some photos with your friends.'));
    return emptyState('moments', t('No posts to show'), t('{name} has not shared anything with you, or nothing recent.', { name: who(person()) }));
  }

  function render() {
    if (gone) {
      title.textContent = album ? t('Posts') : t('Moments');
      replace(top);
      replace(list);
      replace(end, emptyState('moments', t('Nothing to show'), t('You see the posts of your friends only.')));
      return;
    }
    renderTop();
    posts.draw(feedPosts(key));
    renderEnd();
    // the end of the list still in sight after a page (a short one, a tall screen): the next one
    if (feed.loaded && feed.next && !feed.loading && !feed.error) {
      requestAnimationFrame(() => {
        if (end.isConnected && end.getBoundingClientRect().top < scroll.getBoundingClientRect().bottom + 600) more();
      });
    }
  }

  function lost(error) {
    if (error.status === 404 && album) {
      gone = error; // not a friend (any more): the same answer as nobody at all
      render();
    }
  }

  function more() {
    (feed.loaded ? loadFeed(key, { more: true }) : loadFeed(key)).catch(lost);
  }

  const observer = new IntersectionObserver((entries) => {
    if (entries.some((e) => e.isIntersecting) && feed.loaded && feed.next && !feed.loading && !feed.error) more();
  }, { root: scroll, rootMargin: '0px 0px 600px 0px' });
  observer.observe(end);

  const unsubscribe = subscribe(['moments', 'moment-notes', 'friends', 'me', 'users'], (topics) => {
    if (topics.some((topic) => topic !== 'moments' && topic !== 'moment-notes')) posts.names();
    render();
  });
  const stopClock = everyMinute(() => render());
  // friends' new posts are not pushed: the feed is read again when it is shown after a while
  const refresh = () => {
    if (!feed.loading && (!feed.loaded || Date.now() - feed.at > STALE_MS)) loadFeed(key).catch(lost);
  };
  const onVisible = () => document.visibilityState === 'visible' && refresh();
  document.addEventListener('visibilitychange', onVisible);
  render();
  refresh();
  return {
    destroy() {
      unsubscribe();
      stopClock();
      observer.disconnect();
      document.removeEventListener('visibilitychange', onVisible);
    },
  };
}

function skeleton() {
  return h('div', { 'aria-hidden': 'true' }, Array.from({ length: 3 }, () => h('div', { class: 'skeleton-item moment-skeleton' })));
}

function mountPostPage(el, postId) {
  const title = tn(1, 'Post', 'Posts'); // the noun, one of them (t('Post') is the compose button's verb)
  const header = h('header', { class: 'pane-header' }, backLink(), h('h2', null, title));
  const { column } = pageShell(el, header, title);
  const list = h('div', { class: 'moment-list' });
  const status = h('div');
  column.append(list, status);
  let failed = null;
  const ctx = { detail: true, expanded: new Set(), rerender: () => render(), composer: null, onDeleted: () => go('moments') };
  ctx.composer = commentComposer(() => render());
  const posts = postList(list, ctx);

  function render() {
    const p = moments.posts.get(postId);
    posts.draw(p ? [p] : []);
    if (failed && !p) {
      const lost = failed.status === 404;
      replace(status, emptyState('moments', lost ? t('This post is no longer there') : t('Could not load this post'), lost ? t('It was deleted, or it is not shared with you.') : humanError(failed), lost ? null : h('button', { class: 'btn', type: 'button', onclick: () => fetch() }, t('Try again'))));
    } else if (!p) {
      replace(status, skeleton());
    } else {
      replace(status);
    }
  }

  function fetch() {
    failed = null;
    render();
    loadPost(postId).then(render, (error) => {
      failed = error;
      render();
    });
  }

  const unsubscribe = subscribe(['moments', 'friends', 'me', 'users'], (topics) => {
    if (topics.some((topic) => topic !== 'moments')) posts.names();
    render();
  });
  const stopClock = everyMinute(() => render());
  fetch();
  return {
    destroy() {
      unsubscribe();
      stopClock();
    },
  };
}

// ---- notifications ------------------------------------------------------------------------------

function noteLine(note) {
  if (note.type === 'moment.liked') return h('span', { class: 'note-what liked' }, icon('heartFilled', { size: 15 }), h('span', null, t('Liked your post')));
  const c = note.data?.comment || {};
  const to = c.reply_to;
  const prefix = to ? (isMe(to.id) ? t('Replied to you: ') : t('Replied to {name}: ', { name: who(to) })) : '';
  return h('span', { class: 'note-what' }, prefix ? h('span', { class: 'muted' }, prefix) : null, h('span', { dir: 'auto' }, c.text || ''));
}

function notePreview(note) {
  const p = note.data?.post || {};
  if (p.image) {
    const img = h('img', { alt: '', decoding: 'async' });
    const box = h('span', { class: 'note-thumb' }, img);
    const show = (url) => {
      img.src = url;
    };
    const known = cachedMediaUrl(p.image, { thumbnail: true });
    if (known) show(known);
    else mediaUrl(p.image, { thumbnail: true }).then(show, () => box.classList.add('broken'));
    return box;
  }
  return h('span', { class: 'note-snippet', dir: 'auto' }, p.text || '');
}

function mountNotes(el) {
  const clear = h('button', { class: 'btn small', type: 'button' }, t('Clear'));
  const header = h('header', { class: 'pane-header' }, backLink(), h('h2', null, t('Notifications')), clear);
  const { column } = pageShell(el, header, t('Notifications'));
  const list = h('ul', { class: 'note-list', 'aria-label': t('Notifications') });
  column.append(list);
  const newSince = moments.seen; // what was new when the list opened stays marked as new while it is open
  const isNew = (n) => n.seq > newSince && !n.old;

  clear.addEventListener('click', () => {
    clearNotes();
    toast(t('Notifications cleared.'));
  });

  function render() {
    clear.hidden = !moments.notes.length;
    if (!moments.notes.length) {
      replace(list, h('li', null, emptyState('bell', t('No notifications'), t('When friends like or comment on your posts, or reply to you, it shows up here.'))));
      return;
    }
    reconcile(
      list,
      moments.notes,
      (n) => n.seq,
      (n) => JSON.stringify([isNew(n), momentTime(n.at), who(n.data?.user || n.data?.comment?.user)]),
      (n) => {
        const user = n.data?.user || n.data?.comment?.user;
        return h(
          'li',
          null,
          h(
            'a',
            { class: `note-item${isNew(n) ? ' new' : ''}`, href: postHref(n.data?.post?.id) },
            avatar(who(user), user?.id, { size: 40, picture: pictureOf(user) }),
            h('span', { class: 'note-main' }, h('span', { class: 'note-who', dir: 'auto' }, who(user)), noteLine(n), h('span', { class: 'note-time' }, momentTime(n.at))),
            notePreview(n),
          ),
        );
      },
    );
    if (document.visibilityState === 'visible') markNotesSeen();
  }

  const seeWhenVisible = () => document.visibilityState === 'visible' && markNotesSeen();
  document.addEventListener('visibilitychange', seeWhenVisible);
  const unsubscribe = subscribe(['moment-notes', 'friends'], render);
  const stopClock = everyMinute(() => render());
  render();
  return {
    destroy() {
      unsubscribe();
      stopClock();
      document.removeEventListener('visibilitychange', seeWhenVisible);
    },
  };
}

// ---- Me → Moments: the time window --------------------------------------------------------------

const WINDOWS = [
  { days: 0, label: t('Everything'), hint: t('Friends can see all your posts') },
  { days: 3, label: t('The last 3 days'), hint: t('Older posts are hidden from friends') },
  { days: 30, label: t('The last month'), hint: t('Older posts are hidden from friends') },
  { days: 180, label: t('The last 6 months'), hint: t('Older posts are hidden from friends') },
];

export function mountMomentSettings(body) {
  const group = h('div', { class: 'choice-list', role: 'radiogroup', 'aria-label': t('Friends can see') });
  const status = h('p', { class: 'muted small', role: 'status' });
  replace(
    body,
    h('p', { class: 'muted' }, t('How far back your friends can see your posts. You always see all of yours, and nothing is deleted.')),
    h('h3', null, t('Friends can see')),
    group,
    status,
    h('div', { class: 'actions-row' }, h('a', { class: 'btn', href: albumHref(state.me?.id) }, icon('moments', { size: 18 }), t('My posts'))),
  );
  let current = null;
  let saving = false;

  function render() {
    replace(
      group,
      WINDOWS.map((w) =>
        h(
          'label',
          { class: 'choice' },
          h('input', {
            type: 'radio',
            name: 'moment-window',
            value: String(w.days),
            checked: current === w.days,
            disabled: current === null || saving,
            onchange: () => choose(w.days),
          }),
          h('span', { class: 'choice-text' }, h('span', { class: 'choice-label' }, w.label), h('span', { class: 'choice-hint' }, w.hint)),
        ),
      ),
    );
  }

  async function choose(days) {
    const before = current;
    current = days;
    saving = true;
    render();
    try {
      const saved = await saveWindow(days);
      current = saved.window_days;
      toast(t('Saved.'));
    } catch (error) {
      current = before;
      toast(humanError(error), { kind: 'error' });
    } finally {
      saving = false;
      render();
      group.querySelector('input:checked')?.focus();
    }
  }

  render();
  loadSettings().then(
    (settings) => {
      current = settings.window_days;
      render();
    },
    (error) => {
      status.textContent = humanError(error);
    },
  );
  return { destroy() {} };
}

