"""The whole HTTP route table of the API, in one place."""

from __future__ import annotations

from kith.accounts.models import Session, User
from kith.chats.models import Ack, Conversation, Message
from kith.contacts.models import Friend, Relationship
from kith.http.api import accounts, chats, contacts, sync
from kith.http.endpoint import Endpoint
from kith.sync.models import SyncPage

V1 = "/api/v1"
C = V1 + "/conversations/{conversation_id:int}"

ENDPOINTS: tuple[Endpoint, ...] = (
    # accounts
    Endpoint("POST", V1 + "/accounts", accounts.register, "Sign up (and sign in this device)", "accounts",
             body=accounts.RegisterIn, response=Session, status=201, auth=False, errors=(400, 403, 409, 429)),
    Endpoint("POST", V1 + "/sessions", accounts.sign_in, "Sign in: a bearer token for a new device", "accounts",
             body=accounts.SignInIn, response=Session, status=201, auth=False, errors=(400, 401, 429)),
    Endpoint("DELETE", V1 + "/sessions/current", accounts.sign_out, "Sign out this device", "accounts"),
    Endpoint("GET", V1 + "/me", accounts.me, "Your profile", "accounts", response=User),
    Endpoint("PATCH", V1 + "/me", accounts.update_me, "Change display name or status line", "accounts",
             body=accounts.ProfileIn, response=User, errors=(400,)),
    Endpoint("DELETE", V1 + "/me", accounts.delete_me,
             "Delete your account (give your password): your messages in others' chats stay, from a deleted user",
             "accounts", body=accounts.DeleteAccountIn, errors=(400, 403, 429)),
    Endpoint("GET", V1 + "/me/export", accounts.export_me,
             "Download your data: a zip of JSON files (profile, devices, contacts, conversations, messages)",
             "accounts", response=bytes, media_type="application/zip", errors=(429,)),
    Endpoint("POST", V1 + "/me/password", accounts.change_password,
             "Change password (signs out your other devices)", "accounts",
             body=accounts.PasswordIn, errors=(400, 403, 429)),
    Endpoint("GET", V1 + "/me/devices", accounts.devices, "Your signed-in devices", "accounts",
             response=accounts.DevicesOut),
    Endpoint("DELETE", V1 + "/me/devices/{device_id:int}", accounts.revoke_device, "Sign a device out",
             "accounts", errors=(404,)),
    # contacts
    Endpoint("GET", V1 + "/users/lookup", contacts.lookup, "Find someone by their exact handle", "contacts",
             query=contacts.LookupQuery, response=Relationship, errors=(400, 404)),
    Endpoint("GET", V1 + "/friends", contacts.friends, "Your friends", "contacts", response=contacts.FriendsOut),
    Endpoint("PATCH", V1 + "/friends/{user_id:int}", contacts.set_remark, "Set your private remark for a friend",
             "contacts", body=contacts.RemarkIn, response=Friend, errors=(400, 404)),
    Endpoint("DELETE", V1 + "/friends/{user_id:int}", contacts.remove_friend, "Remove a friend", "contacts",
             errors=(404,)),
    Endpoint("GET", V1 + "/friend-requests", contacts.requests, "Open friend requests, to and from you",
             "contacts", response=contacts.RequestsOut),
    Endpoint("POST", V1 + "/friend-requests", contacts.send_request,
             "Ask someone to be friends (accepts theirs if they already asked)", "contacts",
             body=contacts.RequestIn, response=contacts.RequestOut, status=201, errors=(400, 404, 409, 429)),
    Endpoint("POST", V1 + "/friend-requests/{request_id:int}/accept", contacts.accept_request,
             "Accept a friend request", "contacts", response=contacts.RequestOut, errors=(404, 409)),
    Endpoint("POST", V1 + "/friend-requests/{request_id:int}/decline", contacts.decline_request,
             "Decline a friend request (quietly)", "contacts", response=contacts.RequestOut, errors=(404, 409)),
    Endpoint("POST", V1 + "/friend-requests/{request_id:int}/cancel", contacts.cancel_request,
             "Withdraw your friend request", "contacts", response=contacts.RequestOut, errors=(404, 409)),
    Endpoint("GET", V1 + "/blocks", contacts.blocked, "People you have blocked", "contacts",
             response=contacts.BlockedOut),
    Endpoint("POST", V1 + "/blocks", contacts.block_handle, "Block someone by their handle (they are not told)",
             "contacts", body=contacts.BlockIn, errors=(400, 404)),
    Endpoint("PUT", V1 + "/blocks/{user_id:int}", contacts.block,
             "Block someone you already know (they are not told)", "contacts", errors=(400, 404)),
    Endpoint("DELETE", V1 + "/blocks/{user_id:int}", contacts.unblock, "Unblock someone", "contacts",
             errors=(404,)),
    # chats
    Endpoint("GET", V1 + "/conversations", chats.conversations, "Your conversations, pinned first, newest first",
             "chats", response=chats.ConversationsOut),
    Endpoint("POST", V1 + "/conversations/direct", chats.open_direct, "Open the direct conversation with a friend",
             "chats", body=chats.DirectIn, response=Conversation, errors=(400, 403)),
    Endpoint("POST", V1 + "/conversations/groups", chats.create_group, "Create a group with friends", "chats",
             body=chats.GroupIn, response=Conversation, status=201, errors=(400, 403, 409, 429)),
    Endpoint("GET", C, chats.conversation, "One conversation", "chats", response=Conversation, errors=(404,)),
    Endpoint("PATCH", C, chats.update_group, "Rename a group, transfer ownership, restrict adding", "chats",
             body=chats.GroupUpdateIn, response=Conversation, errors=(400, 403, 404)),
    Endpoint("PATCH", C + "/prefs", chats.set_prefs, "Mute or pin (only for you)", "chats",
             body=chats.PrefsIn, response=Conversation, errors=(400, 404)),
    Endpoint("POST", C + "/read", chats.mark_read, "Move your read position (never shown to others)", "chats",
             body=chats.ReadIn, response=chats.ReadOut, errors=(400, 404)),
    Endpoint("GET", C + "/members", chats.members, "Members of a conversation", "chats",
             response=chats.MembersOut, errors=(404,)),
    Endpoint("POST", C + "/members", chats.add_members, "Add friends to a group", "chats",
             body=chats.MembersIn, response=Conversation, errors=(400, 403, 404, 409)),
    Endpoint("DELETE", C + "/members/{user_id:int}", chats.remove_member, "Remove a member (owner)", "chats",
             errors=(400, 403, 404)),
    Endpoint("POST", C + "/leave", chats.leave, "Leave a group", "chats", errors=(400, 404)),
    Endpoint("GET", C + "/messages", chats.history, "History, by sequence number in either direction", "chats",
             query=chats.HistoryQuery, response=chats.HistoryOut, errors=(400, 404)),
    Endpoint("POST", C + "/messages", chats.send, "Send a text message (idempotent by its client id)", "chats",
             body=chats.SendIn, response=Ack, status=201, errors=(400, 403, 404, 409, 413, 429),
             also=((200, "A resend of the same id: the original acknowledgement, nothing stored"),)),
    Endpoint("POST", C + "/messages/{seq:int}/recall", chats.recall, "Recall your message (within 2 minutes)",
             "chats", response=Message, errors=(403, 404)),
    # sync
    Endpoint("GET", V1 + "/sync", sync.sync, "Your events after `since`, in order, in pages", "sync",
             query=sync.SyncQuery, response=SyncPage, errors=(400,)),
)  # fmt: skip
