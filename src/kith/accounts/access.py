"""What the rest of kith may ask of accounts: profiles by id or exact handle, and handle syntax."""

from __future__ import annotations

from kith.accounts.models import check_handle
from kith.accounts.store import shown_users, user, user_by_handle, users

__all__ = ["check_handle", "shown_users", "user", "user_by_handle", "users"]
