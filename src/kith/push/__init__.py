"""Web Push: telling a user's browsers about a message when no app of theirs is open (docs/push.md)."""
