-- A text message sent in one round trip (kith/chats/store.py, send_text): the checks, the conversation's next
-- seq, the message, its search tokens, the sender's read mark, the recipients' events and who of the
-- others takes pushes, in the statements and the lock order of the general path in ChatService._send.
-- It returns no row, having changed nothing, whenever a send needs more than that (a client id seen
-- before, no such membership, a direct chat that is not between friends or has a block, any kind but
-- direct and group): the general path then runs in the same transaction and gives the answer.
CREATE FUNCTION kith_send_text(p_me BIGINT, p_conversation BIGINT, p_client_id TEXT, p_body TEXT,
    p_tokens TEXT, p_now BIGINT)
RETURNS TABLE (message_id BIGINT, seq BIGINT, users BIGINT[], heads BIGINT[], subscribed BIGINT[])
LANGUAGE plpgsql AS $$
DECLARE
    v_kind TEXT;
    v_key TEXT;
    v_peer BIGINT;
    v_recipients BIGINT[];
    v_seq BIGINT;
    v_id BIGINT;
    v_users BIGINT[];
    v_heads BIGINT[];
BEGIN
    SELECT c.kind, c.direct_key INTO v_kind, v_key
        FROM members m JOIN conversations c ON c.id = m.conversation_id
        WHERE m.conversation_id = p_conversation AND m.user_id = p_me;
    IF NOT FOUND OR v_kind NOT IN ('direct', 'group') THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM messages m WHERE m.sender_id = p_me AND m.client_id = p_client_id) THEN
        RETURN;
    END IF;
    IF v_kind = 'direct' THEN
        v_peer := CASE WHEN split_part(v_key, ':', 1)::BIGINT = p_me THEN split_part(v_key, ':', 2)::BIGINT
            ELSE split_part(v_key, ':', 1)::BIGINT END;
        IF NOT EXISTS (SELECT 1 FROM friendships f WHERE f.user_id = p_me AND f.friend_id = v_peer)
            OR EXISTS (SELECT 1 FROM blocks b WHERE (b.user_id = p_me AND b.blocked_id = v_peer)
                OR (b.user_id = v_peer AND b.blocked_id = p_me)) THEN
            RETURN;
        END IF;
        v_recipients := ARRAY[LEAST(p_me, v_peer), GREATEST(p_me, v_peer)];
    ELSE
        v_recipients := ARRAY(SELECT m.user_id FROM members m WHERE m.conversation_id = p_conversation
            ORDER BY m.user_id);
    END IF;
    UPDATE conversations c SET last_seq = c.last_seq + 1, last_activity_at = p_now WHERE c.id = p_conversation
        RETURNING c.last_seq INTO v_seq;
    INSERT INTO messages (conversation_id, seq, sender_id, client_id, kind, body, reply_to_seq, reply_preview,
        only_sender, created_at, mentions)
        VALUES (p_conversation, v_seq, p_me, p_client_id, 'text', p_body, NULL, NULL, 0, p_now, NULL)
        RETURNING id INTO v_id;
    IF p_tokens <> '' THEN
        INSERT INTO message_tokens (message_id, tokens) VALUES (v_id, p_tokens) ON CONFLICT DO NOTHING;
    END IF;
    UPDATE members m SET read_seq = v_seq
        WHERE m.conversation_id = p_conversation AND m.user_id = p_me AND m.read_seq < v_seq;
    -- the event log's rule (kith/events/log.py): the heads locked in ascending user id
    WITH locked AS (
        SELECT h.user_id FROM event_heads h WHERE h.user_id = ANY(v_recipients) ORDER BY h.user_id FOR UPDATE
    ), advanced AS (
        UPDATE event_heads h SET last_seq = h.last_seq + 1 FROM locked l WHERE h.user_id = l.user_id
        RETURNING h.user_id, h.last_seq
    ), inserted AS (
        INSERT INTO events (user_id, seq, type, ref_kind, ref_id, payload, created_at)
        SELECT a.user_id, a.last_seq, 'message', 'message', v_id, NULL, p_now FROM advanced a
    )
    SELECT array_agg(a.user_id ORDER BY a.user_id), array_agg(a.last_seq ORDER BY a.user_id)
        INTO v_users, v_heads FROM advanced a;
    IF cardinality(v_users) IS DISTINCT FROM cardinality(v_recipients) THEN
        RAISE EXCEPTION 'users % have no event log', v_recipients USING ERRCODE = 'no_data_found';
    END IF;
    RETURN QUERY SELECT v_id, v_seq, v_users, v_heads, ARRAY(
        SELECT DISTINCT p.user_id FROM push_subscriptions p
        WHERE p.user_id = ANY(v_recipients) AND p.user_id <> p_me ORDER BY p.user_id);
END;
$$;
