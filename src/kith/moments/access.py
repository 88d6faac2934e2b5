"""What the rest of kith may ask of Moments: which posts a viewer may see, and forgetting a user."""

from __future__ import annotations

from kith.moments.service import forget_user, visible_posts

__all__ = ["forget_user", "visible_posts"]
