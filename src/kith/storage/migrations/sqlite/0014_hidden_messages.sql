-- "Delete for me" (docs/api.md): the messages a member took out of their own view of a conversation.
-- Nobody else's view changes; the member's history, chat list, unread count and search leave them out.
CREATE TABLE hidden_messages (
    user_id INTEGER NOT NULL REFERENCES users (id),
    message_id INTEGER NOT NULL REFERENCES messages (id),
    PRIMARY KEY (user_id, message_id)
);
-- a message deleted for good takes its rows along
CREATE INDEX hidden_messages_by_message ON hidden_messages (message_id);
