// One Moments post as a card: author, text, pictures, place, time, likes and comments, and what the
// viewer may do with it (like, comment, reply, delete). All user text goes in as text nodes.

import { fillIn, h } from '../ui/dom.js';
import { icon } from '../ui/icons.js';
import { dateTime, momentTime } from '../ui/format.js';
import { avatar, confirmDialog, openMenu, toast } from '../ui/widgets.js';
import { cachedMediaUrl, humanError, mediaUrl } from '../api.js';
import { t } from '../i18n.js';
import { isMe, nameOf } from '../store.js';
import { addComment, deleteComment, deletePost, pictureOf, setLiked, who } from '../moments.js';
import { openLightbox } from '../messages/image.js';

const LONG_TEXT = 320; // characters (or 7 lines) after which a post's text is folded in a feed
const MAX_COMMENT_BYTES = 2048;

export const albumHref = (userId) => `#/moments/users/${userId}/posts`;
export const postHref = (postId) => `#/moments/posts/${postId}`;

const AUDIENCE = {
  friends: { icon: 'contacts', label: () => t('All friends') },
  only: { icon: 'userCheck', label: (ids) => t('Only {names}', { names: names(ids) }) },
  except: { icon: 'userMinus', label: (ids) => t('All friends except {names}', { names: names(ids) }) },
  me: { icon: 'lock', label: () => t('Only me') },
};

/** Between names in a list: "Bob, Carol" (Chinese "Bob，Carol"). */
const SEPARATOR = t(', ');

function names(ids = []) {
  const shown = ids.slice(0, 3).map((id) => nameOf(id, { you: t('you') }));
  return ids.length > 3 ? t('{names} and {n} more', { names: shown.join(SEPARATOR), n: ids.length - 3 }) : shown.join(SEPARATOR);
}

/** Who can see a post of yours, in words ("Only Bob, Carol"). */
export function audienceLabel(audience, ids) {
  return (AUDIENCE[audience] || AUDIENCE.friends).label(ids);
}

function thumbnail(img, frame, mediaId, { single = false } = {}) {
  const show = (url) => {
    img.addEventListener('load', () => {
      frame.classList.add('loaded');
      if (single && img.naturalWidth && img.naturalHeight) sizeSingle(frame, img.naturalWidth / img.naturalHeight);
    }, { once: true });
    img.addEventListener('error', () => frame.classList.add('broken'), { once: true });
    img.src = url;
  };
  const known = cachedMediaUrl(mediaId, { thumbnail: true });
  if (known) show(known);
  else mediaUrl(mediaId, { thumbnail: true }).then(show, () => frame.classList.add('broken'));
}

/** A lone picture keeps its shape (within 1:2 and 2:1), up to the tile box's longer side. */
function sizeSingle(frame, ratio) {
  const r = Math.min(2, Math.max(0.5, ratio));
  frame.style.aspectRatio = `${r}`;
  frame.style.width = r >= 1 ? 'var(--single)' : `calc(var(--single) * ${r.toFixed(3)})`;
}

/** A post's picture full size; with several, the lightbox goes round them (buttons, arrow keys). */
function showPicture(images, index) {
  const count = images.length;
  const at = (i) => () => showPicture(images, (i + count) % count);
  openLightbox(
    { id: images[index], name: count > 1 ? t('Photo {i} of {n}', { i: index + 1, n: count }) : t('Photo') },
    cachedMediaUrl(images[index], { thumbnail: true }),
    count > 1 ? { prev: at(index - 1), next: at(index + 1) } : {},
  );
}

function imageGrid(post) {
  const count = post.images.length;
  if (!count) return null;
  return h(
    'div',
    { class: `moment-images n${count}`, role: 'group', 'aria-label': count === 1 ? t('Photo') : t('{n} photos', { n: count }) },
    post.images.map((mediaId, index) => {
      const img = h('img', { alt: '', decoding: 'async', draggable: 'false' });
      const frame = h(
        'button',
        {
          class: 'moment-image',
          type: 'button',
          'data-focus': `image-${index}`,
          'aria-label': count === 1 ? t('Photo. Open it full size') : t('Photo {i} of {n}. Open it full size', { i: index + 1, n: count }),
          onclick: () => showPicture(post.images, index),
        },
        img,
        h('span', { class: 'moment-image-broken' }, icon('image', { size: 22 })),
      );
      thumbnail(img, frame, mediaId, { single: count === 1 });
      return frame;
    }),
  );
}

function postText(post, ctx) {
  if (!post.text) return null;
  const long = !ctx.detail && (post.text.length > LONG_TEXT || post.text.split('\n').length > 7);
  const open = ctx.expanded?.has(post.id);
  const text = h('div', { class: `moment-text${long && !open ? ' folded' : ''}`, dir: 'auto' }, post.text);
  if (!long) return text;
  const toggle = h('button', {
    class: 'link-btn moment-more',
    type: 'button',
    'data-focus': 'more',
    'aria-expanded': open ? 'true' : 'false',
    onclick: () => {
      if (ctx.expanded.has(post.id)) ctx.expanded.delete(post.id);
      else ctx.expanded.add(post.id);
      ctx.rerender();
    },
  }, open ? t('Show less') : t('Full text'));
  return [text, toggle];
}

/**
 * The card. ctx: {composer (the view's comment box), detail (a post's own page: nothing folded),
 * expanded (ids whose text is unfolded), rerender()}.
 */
export function renderPost(post, ctx) {
  const mine = isMe(post.author.id);
  const author = who(post.author);
  const audience = mine && post.audience ? AUDIENCE[post.audience] || AUDIENCE.friends : null;
  const when = momentTime(post.created_at);
  const timeNode = h('time', { datetime: new Date(post.created_at).toISOString(), title: dateTime(post.created_at) }, when);

  const like = h(
    'button',
    {
      class: `icon-btn small moment-like${post.liked ? ' on' : ''}`,
      type: 'button',
      'data-focus': 'like',
      'aria-pressed': post.liked ? 'true' : 'false',
      'aria-label': t('Like'),
      title: post.liked ? t('Unlike') : t('Like'),
      onclick: async () => {
        like.disabled = true;
        try {
          await setLiked(post.id, !post.liked);
        } catch (error) {
          toast(humanError(error), { kind: 'error' });
        } finally {
          like.disabled = false;
        }
      },
    },
    icon(post.liked ? 'heartFilled' : 'heart', { size: 18 }),
  );
  const comment = h('button', {
    class: 'icon-btn small moment-comment',
    type: 'button',
    'data-focus': 'comment-btn',
    'aria-label': t('Comment'),
    title: t('Comment'),
    onclick: () => ctx.composer.open(post.id),
  }, icon('comment', { size: 18 }));

  const remove = mine
    ? h('button', {
        class: 'link-btn moment-delete',
        type: 'button',
        'data-focus': 'delete',
        onclick: async () => {
          const sure = await confirmDialog(t('Delete this post?'), { detail: t('Its pictures, likes and comments go with it. This cannot be undone.'), confirm: t('Delete'), danger: true });
          if (!sure) return;
          try {
            await deletePost(post.id);
            toast(t('Post deleted.'));
            ctx.onDeleted?.(post.id);
          } catch (error) {
            toast(humanError(error), { kind: 'error' });
          }
        },
      }, t('Delete'))
    : null;

  const feedback = post.likes.length || post.comments.length
    ? h(
        'div',
        { class: 'moment-feedback' },
        post.likes.length
          ? h(
              'div',
              { class: 'moment-likes', 'aria-label': t('Liked by {names}', { names: post.likes.map((l) => who(l.user)).join(SEPARATOR) }) },
              icon('heart', { size: 15 }),
              h('span', { dir: 'auto' }, post.likes.map((l) => who(l.user)).join(SEPARATOR)),
            )
          : null,
        post.comments.length
          ? h('ul', { class: 'moment-comments', 'aria-label': t('Comments') }, post.comments.map((c) => commentRow(post, c, ctx)))
          : null,
      )
    : null;

  return h(
    'article',
    { class: 'moment', 'data-post': post.id, 'aria-label': t('Post by {name}', { name: author }) },
    h('a', { class: 'moment-avatar', href: albumHref(post.author.id), 'aria-label': t("{name}'s posts", { name: author }), tabindex: '-1' }, avatar(author, post.author.id, { size: 44, picture: pictureOf(post.author) })),
    h(
      'div',
      { class: 'moment-main' },
      h('a', { class: 'moment-author', href: albumHref(post.author.id), dir: 'auto', 'data-focus': 'author' }, author),
      postText(post, ctx),
      imageGrid(post),
      post.place ? h('div', { class: 'moment-place', dir: 'auto' }, icon('place', { size: 14 }), h('span', null, post.place)) : null,
      h(
        'div',
        { class: 'moment-bar' },
        h(
          'span',
          { class: 'moment-meta' },
          ctx.detail ? timeNode : h('a', { class: 'moment-time', href: postHref(post.id), 'data-focus': 'time' }, timeNode),
          audience ? icon(audience.icon, { size: 14, label: t('Shared with: {audience}', { audience: audienceLabel(post.audience, post.audience_ids) }), className: 'moment-audience' }) : null,
          remove,
        ),
        h('span', { class: 'moment-actions' }, like, comment),
      ),
      feedback,
      ctx.composer.nodeFor(post.id),
    ),
  );
}

function commentRow(post, c, ctx) {
  const mineComment = isMe(c.user.id);
  const mayDelete = mineComment || isMe(post.author.id);
  const act = (event) => {
    if (!mayDelete) {
      ctx.composer.open(post.id, c);
      return;
    }
    const items = [];
    if (!mineComment) items.push({ label: t('Reply to {name}', { name: who(c.user) }), icon: 'reply', action: () => ctx.composer.open(post.id, c) });
    items.push({
      label: t('Delete comment'),
      icon: 'trash',
      danger: true,
      action: () => deleteComment(post.id, c.id).then(() => toast(t('Comment deleted.')), (error) => toast(humanError(error), { kind: 'error' })),
    });
    openMenu(event.currentTarget, items, { label: t('Comment') });
  };
  const label = mineComment ? t('Your comment. Delete it') : mayDelete ? t('Comment by {name}. Reply or delete', { name: who(c.user) }) : t('Reply to {name}', { name: who(c.user) });
  // "Bob: text", "Bob replied to Carol: text"; the words between the names are muted, the names are the user's own
  const parts = {
    name: h('span', { class: 'comment-who', dir: 'auto' }, who(c.user)),
    other: c.reply_to ? h('span', { class: 'comment-who', dir: 'auto' }, who(c.reply_to)) : null,
    text: h('span', { class: 'comment-text', dir: 'auto' }, c.text),
  };
  const words = (text, next) => h('span', { class: next === 'text' ? 'comment-colon' : 'comment-replied' }, text);
  return h(
    'li',
    { class: 'moment-comment-row', 'data-comment': c.id },
    h(
      'button',
      { class: 'moment-comment-btn', type: 'button', 'data-focus': `comment-${c.id}`, 'aria-label': t('{label}: {text}', { label, text: c.text }), title: momentTime(c.created_at), onclick: act },
      fillIn(c.reply_to ? t('{name} replied to {other}: {text}') : t('{name}: {text}'), parts, words),
    ),
  );
}

/**
 * The comment box a view shares among its posts: open(postId, replyTo) puts it under that post
 * (rerender() draws it there), Enter sends, Escape closes. It keeps what was typed while the posts
 * are redrawn around it.
 */
export function commentComposer(rerender) {
  let target = null; // {postId, replyTo: Comment | null}
  const input = h('textarea', { class: 'comment-input input', rows: 1, dir: 'auto', 'aria-label': t('Comment'), 'data-focus': 'comment' });
  const send = h('button', { class: 'btn small primary', type: 'submit', 'data-focus': 'comment-send' }, t('Send'));
  const cancel = h('button', { class: 'icon-btn small', type: 'button', 'aria-label': t('Cancel'), title: t('Cancel (Esc)'), onclick: (event) => close({ keyboard: event.detail === 0 }) }, icon('close', { size: 16 }));
  const form = h('form', { class: 'comment-form' }, input, send, cancel);
  const grow = () => {
    input.style.height = 'auto';
    input.style.height = `${Math.min(input.scrollHeight + 2, 140)}px`;
  };
  input.addEventListener('input', grow);
  input.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      event.stopPropagation();
      close({ keyboard: true });
    }
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text || !target) return;
    if (new TextEncoder().encode(text).length > MAX_COMMENT_BYTES) {
      toast(t('That comment is too long.'), { kind: 'error' });
      return;
    }
    const { postId, replyTo } = target;
    const keyboard = !event.submitter; // Enter in the box, not a tap on Send
    send.disabled = input.disabled = true;
    try {
      await addComment(postId, text, replyTo?.id);
      input.value = '';
      close({ keyboard });
    } catch (error) {
      toast(humanError(error), { kind: 'error' });
      send.disabled = input.disabled = false;
      input.focus(); // what was typed is still there, to send again
    } finally {
      send.disabled = input.disabled = false;
    }
  });

  function open(postId, replyTo = null) {
    // a draft is kept when the same box is opened again, not when it moves to another post or person
    if (target && (target.postId !== postId || (target.replyTo?.id || 0) !== (replyTo?.id || 0))) input.value = '';
    target = { postId, replyTo };
    input.placeholder = replyTo ? t('Reply to {name}', { name: who(replyTo.user) }) : t('Comment');
    input.setAttribute('aria-label', replyTo ? t('Reply to {name}', { name: who(replyTo.user) }) : t('Comment'));
    rerender();
    requestAnimationFrame(() => {
      input.focus();
      grow();
    });
  }

  function close({ keyboard = false } = {}) {
    if (!target) return;
    const postId = target.postId;
    target = null;
    rerender();
    // back to the post's comment button, so the keyboard does not lose its place (no ring after a tap)
    document.querySelector(`.moment[data-post="${postId}"] .moment-comment`)?.focus({ preventScroll: true, focusVisible: keyboard });
  }

  return {
    open,
    close,
    /** The box if it is open under this post (for renderPost), else null. */
    nodeFor: (postId) => (target?.postId === postId ? form : null),
    /** What the post's drawing depends on (for reconcile's signatures). */
    sig: (postId) => (target?.postId === postId ? `c${target.replyTo?.id || 0}` : ''),
  };
}
