"""SQL of official accounts, their followers, access tokens and webhook deliveries."""

from __future__ import annotations

from typing import Any

from kith.storage.database import Row, Tx, placeholders


def insert_account(tx: Tx, **columns: Any) -> int:
    names = ", ".join(columns)
    return int(
        tx.value(
            f"INSERT INTO official_accounts ({names}) VALUES ({placeholders(len(columns))}) RETURNING id",
            tuple(columns.values()),
        )
    )


def account(tx: Tx, account_id: int) -> Row | None:
    return tx.one("SELECT * FROM official_accounts WHERE id = ?", (account_id,))


def account_by_app_id(tx: Tx, app_id: str) -> Row | None:
    return tx.one("SELECT * FROM official_accounts WHERE app_id = ?", (app_id,))


def account_by_name(tx: Tx, name_key: str) -> Row | None:
    return tx.one("SELECT id FROM official_accounts WHERE name_key = ?", (name_key,))


def accounts(tx: Tx, account_ids: list[int]) -> dict[int, Row]:
    if not account_ids:
        return {}
    rows = tx.all(f"SELECT * FROM official_accounts WHERE id IN ({placeholders(len(account_ids))})", account_ids)
    return {r["id"]: r for r in rows}


def owned(tx: Tx, owner_id: int) -> list[Row]:
    return tx.all("SELECT * FROM official_accounts WHERE owner_id = ? ORDER BY id", (owner_id,))


def search(tx: Tx, words: str, limit: int) -> list[Row]:
    """Accounts whose name contains ``words`` (any case), the closest first: exact, then prefix."""
    escaped = words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return tx.all(
        "SELECT * FROM official_accounts WHERE name_key LIKE ? ESCAPE '\\'"
        " ORDER BY CASE WHEN name_key = ? THEN 0 WHEN name_key LIKE ? ESCAPE '\\' THEN 1 ELSE 2 END, name_key LIMIT ?",
        (f"%{escaped}%", words, f"{escaped}%", limit),
    )


def update_account(tx: Tx, account_id: int, **changes: Any) -> None:
    assignments = ", ".join(f"{column} = ?" for column in changes)
    tx.execute(f"UPDATE official_accounts SET {assignments} WHERE id = ?", (*changes.values(), account_id))


def set_menu(tx: Tx, account_id: int, menu: str | None) -> None:
    tx.execute("UPDATE official_accounts SET menu = ? WHERE id = ?", (menu, account_id))


# -- followers --------------------------------------------------------------------------------------


def follow(tx: Tx, account_id: int, user_id: int) -> Row | None:
    return tx.one("SELECT * FROM follows WHERE account_id = ? AND user_id = ?", (account_id, user_id))


def follow_by_openid(tx: Tx, account_id: int, openid: str) -> Row | None:
    return tx.one("SELECT * FROM follows WHERE account_id = ? AND openid = ?", (account_id, openid))


def add_follow(tx: Tx, account_id: int, user_id: int, openid: str, now: int) -> None:
    tx.execute(
        "INSERT INTO follows (account_id, user_id, openid, followed_at) VALUES (?, ?, ?, ?)",
        (account_id, user_id, openid, now),
    )


def remove_follow(tx: Tx, account_id: int, user_id: int) -> bool:
    tx.execute("DELETE FROM follower_tags WHERE account_id = ? AND user_id = ?", (account_id, user_id))
    return tx.execute("DELETE FROM follows WHERE account_id = ? AND user_id = ?", (account_id, user_id)) > 0


def forget_follower(tx: Tx, user_id: int) -> None:
    tx.execute("DELETE FROM follower_tags WHERE user_id = ?", (user_id,))
    tx.execute("DELETE FROM follows WHERE user_id = ?", (user_id,))


def following(tx: Tx, user_id: int, account_ids: list[int]) -> set[int]:
    if not account_ids:
        return set()
    rows = tx.all(
        f"SELECT account_id FROM follows WHERE user_id = ? AND account_id IN ({placeholders(len(account_ids))})",
        (user_id, *account_ids),
    )
    return {r["account_id"] for r in rows}


def follower_count(tx: Tx, account_id: int) -> int:
    return int(tx.value("SELECT COUNT(*) FROM follows WHERE account_id = ?", (account_id,)))


def followers_page(tx: Tx, account_id: int, after_openid: str, limit: int) -> list[str]:
    rows = tx.all(
        "SELECT openid FROM follows WHERE account_id = ? AND openid > ? ORDER BY openid LIMIT ?",
        (account_id, after_openid, limit),
    )
    return [r["openid"] for r in rows]


def open_window(tx: Tx, account_id: int, user_id: int, kind: str, now: int) -> None:
    tx.execute(
        "UPDATE follows SET window_kind = ?, window_opened_at = ?, window_used = 0"
        " WHERE account_id = ? AND user_id = ?",
        (kind, now, account_id, user_id),
    )


def use_window(tx: Tx, account_id: int, user_id: int) -> None:
    tx.execute(
        "UPDATE follows SET window_used = window_used + 1 WHERE account_id = ? AND user_id = ?", (account_id, user_id)
    )


# -- access tokens ----------------------------------------------------------------------------------


def insert_token(tx: Tx, token_hash: str, account_id: int, expires_at: int, now: int) -> None:
    tx.execute("DELETE FROM access_tokens WHERE account_id = ? AND expires_at <= ?", (account_id, now))
    tx.execute(
        "INSERT INTO access_tokens (token_hash, account_id, expires_at) VALUES (?, ?, ?)",
        (token_hash, account_id, expires_at),
    )


def token(tx: Tx, token_hash: str) -> Row | None:
    return tx.one("SELECT account_id, expires_at FROM access_tokens WHERE token_hash = ?", (token_hash,))


def forget_tokens(tx: Tx, account_id: int) -> None:
    tx.execute("DELETE FROM access_tokens WHERE account_id = ?", (account_id,))


# -- webhook deliveries -----------------------------------------------------------------------------


def add_delivery(
    tx: Tx, account_id: int, event: str, status: str, latency_ms: int | None, error: str, now: int, keep: int
) -> None:
    tx.execute(
        "INSERT INTO webhook_deliveries (account_id, event, status, latency_ms, error, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (account_id, event, status, latency_ms, error[:500], now),
    )
    tx.execute(
        "DELETE FROM webhook_deliveries WHERE account_id = ? AND id <= (SELECT id FROM webhook_deliveries"
        " WHERE account_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?)",
        (account_id, account_id, keep),
    )


def deliveries(tx: Tx, account_id: int, limit: int) -> list[Row]:
    return tx.all("SELECT * FROM webhook_deliveries WHERE account_id = ? ORDER BY id DESC LIMIT ?", (account_id, limit))


def claim_reply(tx: Tx, account_id: int, msg_id: int) -> bool:
    """True the first time a reply to ``msg_id`` is delivered, False for a retried delivery's."""
    return (
        tx.execute(
            "INSERT INTO webhook_replies (account_id, msg_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (account_id, msg_id),
        )
        > 0
    )


# -- mass sends ---------------------------------------------------------------------------------------


def insert_mass(
    tx: Tx, account_id: int, kind: str, body: str, openids: str | None, tag_id: int | None, day: int, now: int
) -> int:
    return int(
        tx.value(
            "INSERT INTO mass_sends (account_id, kind, body, openids, tag_id, day, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (account_id, kind, body, openids, tag_id, day, now),
        )
    )


def mass(tx: Tx, mass_id: int) -> Row | None:
    return tx.one("SELECT * FROM mass_sends WHERE id = ?", (mass_id,))


def mass_at(tx: Tx, mass_id: int, done: int) -> Row | None:
    """The mass send, if its fan-out has gone through exactly ``done`` followers (sent or filtered);
    its row is locked until the transaction ends, so on PostgreSQL a second run of the same batch
    waits for the first, then finds the count moved on."""
    return tx.one("UPDATE mass_sends SET sent = sent WHERE id = ? AND sent + filtered = ? RETURNING *", (mass_id, done))


def masses_on(tx: Tx, account_id: int, day: int) -> int:
    return int(tx.value("SELECT COUNT(*) FROM mass_sends WHERE account_id = ? AND day = ?", (account_id, day)))


def followers_after(tx: Tx, account_id: int, after_user: int, followed_by: int, limit: int) -> list[Row]:
    """Followers (since before ``followed_by``) in user id order, after ``after_user``: a batch of a fan-out."""
    return tx.all(
        "SELECT user_id, openid, mass_month, mass_count FROM follows WHERE account_id = ? AND user_id > ?"
        " AND followed_at <= ? ORDER BY user_id LIMIT ?",
        (account_id, after_user, followed_by, limit),
    )


def followers_by_openid(tx: Tx, account_id: int, openids: list[str]) -> list[Row]:
    if not openids:
        return []
    return tx.all(
        "SELECT user_id, openid, mass_month, mass_count FROM follows WHERE account_id = ?"
        f" AND openid IN ({placeholders(len(openids))}) ORDER BY user_id",
        (account_id, *openids),
    )


def take_mass_slots(tx: Tx, account_id: int, user_ids: list[int], month: int, cap: int | None) -> list[int]:
    """Count one more mass message this month (``month``: YYYYMM) for those of the followers still under
    ``cap``, and return them. One statement that checks and counts under each row's lock: two mass
    sends fanning out at once on PostgreSQL cannot both take a follower's last slot."""
    if not user_ids:
        return []
    under = "" if cap is None else " AND NOT (mass_month = ? AND mass_count >= ?)"
    rows = tx.all(
        "UPDATE follows SET mass_count = CASE WHEN mass_month = ? THEN mass_count + 1 ELSE 1 END, mass_month = ?"
        f" WHERE account_id = ? AND user_id IN ({placeholders(len(user_ids))}){under} RETURNING user_id",
        (month, month, account_id, *user_ids, *(() if cap is None else (month, cap))),
    )
    return sorted(r["user_id"] for r in rows)


def mass_progress(tx: Tx, mass_id: int, sent: int, filtered: int, finished_at: int | None) -> None:
    tx.execute(
        "UPDATE mass_sends SET sent = sent + ?, filtered = filtered + ?, finished_at = ? WHERE id = ?",
        (sent, filtered, finished_at, mass_id),
    )


def mass_deleted(tx: Tx, mass_id: int, now: int) -> None:
    tx.execute("UPDATE mass_sends SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL", (now, mass_id))


# -- articles (mpnews) ----------------------------------------------------------------------------------


def insert_news(tx: Tx, media_id: str, account_id: int, articles: str, permanent: bool, now: int) -> int:
    return int(
        tx.value(
            "INSERT INTO account_news (media_id, account_id, articles, permanent, created_at)"
            " VALUES (?, ?, ?, ?, ?) RETURNING id",
            (media_id, account_id, articles, int(permanent), now),
        )
    )


def news(tx: Tx, media_id: str) -> Row | None:
    return tx.one("SELECT * FROM account_news WHERE media_id = ?", (media_id,))


def news_since(tx: Tx, account_id: int, since: int, permanent: bool) -> int:
    """How many sets the account uploaded since then (temporary) or keeps (permanent)."""
    if permanent:
        sql, args = "permanent = 1 AND deleted_at IS NULL", (account_id,)
    else:
        sql, args = "permanent = 0 AND created_at >= ?", (account_id, since)  # type: ignore[assignment]
    return int(tx.value(f"SELECT COUNT(*) FROM account_news WHERE account_id = ? AND {sql}", args))


def news_page(tx: Tx, account_id: int, offset: int, limit: int) -> list[Row]:
    return tx.all(
        "SELECT * FROM account_news WHERE account_id = ? AND permanent = 1 AND deleted_at IS NULL"
        " ORDER BY id DESC LIMIT ? OFFSET ?",
        (account_id, limit, offset),
    )


def set_news(tx: Tx, news_id: int, articles: str | None, deleted_at: int | None) -> None:
    if articles is not None:
        tx.execute("UPDATE account_news SET articles = ? WHERE id = ?", (articles, news_id))
    if deleted_at is not None:
        tx.execute("UPDATE account_news SET deleted_at = ? WHERE id = ?", (deleted_at, news_id))


# -- permanent material ---------------------------------------------------------------------------


def lock_account(tx: Tx, account_id: int) -> None:
    """Hold the account's row until the transaction ends: on PostgreSQL, two additions counting
    against one cap take turns (SQLite's one writer already does)."""
    tx.execute("UPDATE official_accounts SET id = id WHERE id = ?", (account_id,))


def insert_material(tx: Tx, account_id: int, media_id: str, kind: str, title: str, introduction: str, now: int
                    ) -> None:  # fmt: skip
    tx.execute(
        "INSERT INTO account_material (account_id, media_id, kind, title, introduction, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (account_id, media_id, kind, title, introduction, now),
    )


def material(tx: Tx, account_id: int, media_id: str) -> Row | None:
    return tx.one("SELECT * FROM account_material WHERE account_id = ? AND media_id = ?", (account_id, media_id))


def delete_material(tx: Tx, account_id: int, media_id: str) -> None:
    tx.execute("DELETE FROM account_material WHERE account_id = ? AND media_id = ?", (account_id, media_id))


def material_counts(tx: Tx, account_id: int) -> dict[str, int]:
    rows = tx.all("SELECT kind, COUNT(*) AS n FROM account_material WHERE account_id = ? GROUP BY kind", (account_id,))
    return {r["kind"]: int(r["n"]) for r in rows}


def material_page(tx: Tx, account_id: int, kinds: tuple[str, ...], offset: int, limit: int) -> list[Row]:
    """Newest first; material added in the same millisecond in a fixed (if arbitrary) order."""
    return tx.all(
        f"SELECT * FROM account_material WHERE account_id = ? AND kind IN ({placeholders(len(kinds))})"
        " ORDER BY created_at DESC, media_id DESC LIMIT ? OFFSET ?",
        (account_id, *kinds, limit, offset),
    )


def forget_material(tx: Tx, account_ids: list[int]) -> None:
    if account_ids:
        tx.execute(f"DELETE FROM account_material WHERE account_id IN ({placeholders(len(account_ids))})", account_ids)


# -- QR code tickets ----------------------------------------------------------------------------------


def insert_ticket(tx: Tx, ticket: str, account_id: int, scene: str, expires_at: int | None, now: int) -> None:
    tx.execute(
        "INSERT INTO qr_tickets (ticket, account_id, scene, expires_at, created_at) VALUES (?, ?, ?, ?, ?)",
        (ticket, account_id, scene, expires_at, now),
    )


def ticket(tx: Tx, ticket: str) -> Row | None:
    return tx.one("SELECT * FROM qr_tickets WHERE ticket = ?", (ticket,))


# -- templates (kith.platform.template_service) --------------------------------------------------------


def templates(tx: Tx, account_id: int) -> list[Row]:
    return tx.all(
        "SELECT template_id, short_id, created_at FROM account_templates WHERE account_id = ?"
        " ORDER BY created_at, template_id",
        (account_id,),
    )


def template(tx: Tx, account_id: int, template_id: str) -> Row | None:
    return tx.one(
        "SELECT template_id, short_id FROM account_templates WHERE account_id = ? AND template_id = ?",
        (account_id, template_id),
    )


def add_template(tx: Tx, account_id: int, template_id: str, short_id: str, now: int) -> None:
    tx.execute(
        "INSERT INTO account_templates (account_id, template_id, short_id, created_at) VALUES (?, ?, ?, ?)",
        (account_id, template_id, short_id, now),
    )


def delete_template(tx: Tx, account_id: int, template_id: str) -> bool:
    return (
        tx.execute("DELETE FROM account_templates WHERE account_id = ? AND template_id = ?", (account_id, template_id))
        > 0
    )


# -- tags ---------------------------------------------------------------------------------------------


def tags(tx: Tx, account_id: int) -> list[Row]:
    return tx.all(
        "SELECT t.id, t.name, (SELECT COUNT(*) FROM follower_tags f WHERE f.account_id = t.account_id"
        " AND f.tag_id = t.id) AS count FROM account_tags t WHERE t.account_id = ? ORDER BY t.id",
        (account_id,),
    )


def tag(tx: Tx, account_id: int, tag_id: int) -> Row | None:
    return tx.one("SELECT id, name FROM account_tags WHERE account_id = ? AND id = ?", (account_id, tag_id))


def add_tag(tx: Tx, account_id: int, name: str) -> int:
    """A new tag; ids start at 100 (WeChat keeps 0 to 99 for its own)."""
    return int(
        tx.value(
            "INSERT INTO account_tags (account_id, id, name) VALUES (?, (SELECT COALESCE(MAX(id), 99) + 1"
            " FROM account_tags WHERE account_id = ?), ?) RETURNING id",
            (account_id, account_id, name),
        )
    )


def rename_tag(tx: Tx, account_id: int, tag_id: int, name: str) -> None:
    tx.execute("UPDATE account_tags SET name = ? WHERE account_id = ? AND id = ?", (name, account_id, tag_id))


def delete_tag(tx: Tx, account_id: int, tag_id: int) -> None:
    tx.execute("DELETE FROM follower_tags WHERE account_id = ? AND tag_id = ?", (account_id, tag_id))
    tx.execute("DELETE FROM account_tags WHERE account_id = ? AND id = ?", (account_id, tag_id))


def tag_followers(tx: Tx, account_id: int, tag_id: int, user_ids: list[int]) -> None:
    tx.executemany(
        "INSERT INTO follower_tags (account_id, tag_id, user_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
        [(account_id, tag_id, u) for u in user_ids],
    )


def untag_followers(tx: Tx, account_id: int, tag_id: int, user_ids: list[int]) -> None:
    tx.executemany(
        "DELETE FROM follower_tags WHERE account_id = ? AND tag_id = ? AND user_id = ?",
        [(account_id, tag_id, u) for u in user_ids],
    )


def tags_of(tx: Tx, account_id: int, user_ids: list[int]) -> dict[int, list[int]]:
    if not user_ids:
        return {}
    rows = tx.all(
        "SELECT user_id, tag_id FROM follower_tags WHERE account_id = ?"
        f" AND user_id IN ({placeholders(len(user_ids))}) ORDER BY tag_id",
        (account_id, *user_ids),
    )
    out: dict[int, list[int]] = {}
    for r in rows:
        out.setdefault(r["user_id"], []).append(r["tag_id"])
    return out


def tagged_page(tx: Tx, account_id: int, tag_id: int, after_openid: str, limit: int) -> list[str]:
    rows = tx.all(
        "SELECT f.openid FROM follower_tags t JOIN follows f ON f.account_id = t.account_id AND f.user_id = t.user_id"
        " WHERE t.account_id = ? AND t.tag_id = ? AND f.openid > ? ORDER BY f.openid LIMIT ?",
        (account_id, tag_id, after_openid, limit),
    )
    return [r["openid"] for r in rows]


def tagged_after(tx: Tx, account_id: int, tag_id: int, after_user: int, followed_by: int, limit: int) -> list[Row]:
    """Like ``followers_after``, for the followers with a tag."""
    return tx.all(
        "SELECT f.user_id, f.openid FROM follower_tags t JOIN follows f ON f.account_id = t.account_id"
        " AND f.user_id = t.user_id WHERE t.account_id = ? AND t.tag_id = ? AND f.user_id > ? AND f.followed_at <= ?"
        " ORDER BY f.user_id LIMIT ?",
        (account_id, tag_id, after_user, followed_by, limit),
    )
