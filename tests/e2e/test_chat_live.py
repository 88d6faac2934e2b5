"""Two people and a group, live over real WebSockets against a real server."""

from __future__ import annotations

import asyncio

from helpers import Server, Socket, befriend, direct, register


async def test_two_friends_chat_both_ways_live(server: Server) -> None:
    alice, bob = await register(server, "alice"), await register(server, "bob")
    found = await alice.ok("GET", "/users/lookup", params={"handle": "BOB"})
    assert found["user"]["id"] == bob.id and not found["is_friend"]

    a_ws, b_ws = await Socket.connect(alice), await Socket.connect(bob)
    sent = await alice.ok("POST", "/friend-requests", json={"handle": bob.handle, "greeting": "it's Alice"})
    incoming = await b_ws.wait_for(lambda: [e for e in b_ws.events if e["type"] == "friend.request"])
    assert incoming[0]["data"]["request"]["greeting"] == "it's Alice"
    await bob.ok("POST", f"/friend-requests/{sent['request']['id']}/accept")
    added = await a_ws.wait_for(lambda: [e for e in a_ws.events if e["type"] == "friend.added"])
    assert added[0]["data"]["friend"]["user"]["handle"] == "bob"

    # their chat opened with the accept, live on both sides, the greeting its first message
    conversation = await direct(alice, bob)
    for ws in (a_ws, b_ws):
        got = await ws.wait_for(lambda ws=ws: ws.messages(conversation))
        assert [(m["seq"], m["sender_id"], m["text"]) for m in got] == [(1, alice.id, "it's Alice")]
    ack = await a_ws.send_text(conversation, "hello bob")
    assert ack["type"] == "ack" and ack["message"]["seq"] == 2
    got = await b_ws.wait_for(lambda: len(b_ws.messages(conversation)) == 2 and b_ws.messages(conversation))
    assert [m["text"] for m in got] == ["it's Alice", "hello bob"]
    assert got[1]["sender_id"] == alice.id

    reply = await b_ws.send_text(conversation, "hi alice", reply_to=2)
    assert reply["message"]["reply_to"] == {"seq": 2, "sender_id": alice.id, "text": "hello bob"}
    got = await a_ws.wait_for(lambda: len(a_ws.messages(conversation)) == 3 and a_ws.messages(conversation))
    assert [m["text"] for m in got] == ["it's Alice", "hello bob", "hi alice"]
    # the sender's own devices learn of its messages too, through the same log (that push races
    # the one to alice: wait for it)
    mine = await b_ws.wait_for(lambda: len(b_ws.messages(conversation)) >= 3 and b_ws.messages(conversation))
    assert [m["text"] for m in mine] == ["it's Alice", "hello bob", "hi alice"]

    history = await alice.ok("GET", f"/conversations/{conversation}/messages")
    assert [m["text"] for m in history["messages"]] == ["it's Alice", "hello bob", "hi alice"]
    await a_ws.close()
    await b_ws.close()


async def test_group_of_ten_everyone_sees_one_order(server: Server) -> None:
    people = [await register(server, f"member{i}") for i in range(10)]
    owner = people[0]
    for other in people[1:]:
        await befriend(owner, other)
    group = await owner.ok(
        "POST", "/conversations/groups", json={"name": "Ten", "user_ids": [p.id for p in people[1:]]}
    )
    sockets = [await Socket.connect(p) for p in people]
    # everyone sends 5 messages at once, all concurrently
    await asyncio.gather(*(s.send_text(group["id"], f"{i}-{n}") for i, s in enumerate(sockets) for n in range(5)))
    total = 50 + 1  # plus the "created" notice... which was sent before anyone connected
    orders = []
    for s in sockets:
        msgs = await s.wait_for(lambda s=s: len(s.messages(group["id"])) >= 50 and s.messages(group["id"]))
        orders.append([(m["seq"], m["text"]) for m in msgs])
    assert all(order == orders[0] for order in orders)
    assert [seq for seq, _ in orders[0]] == list(range(2, total + 1))
    texts = sorted(text for _, text in orders[0])
    assert texts == sorted(f"{i}-{n}" for i in range(10) for n in range(5))
    # per-sender order is kept
    for i in range(10):
        mine = [text for _, text in orders[0] if text.startswith(f"{i}-")]
        assert mine == [f"{i}-{n}" for n in range(5)]
    for s in sockets:
        await s.close()


async def test_third_device_syncs_everything_it_missed(server: Server) -> None:
    alice, bob = await register(server), await register(server)
    await befriend(alice, bob)
    conversation = await direct(alice, bob)
    phone = await Socket.connect(alice)
    laptop = await alice.new_device("laptop")
    head_before = phone.ready["head"]
    for n in range(30):
        await bob.ok("POST", f"/conversations/{conversation}/messages", json={"id": f"b{n}", "text": f"msg {n}"})
    await alice.ok("PATCH", f"/conversations/{conversation}/prefs", json={"pinned": True})
    # a third device, offline all along, resumes from where the first one started
    tablet = await alice.new_device("tablet")
    tablet_ws = await Socket.connect(tablet, since=head_before)
    want = await phone.wait_for(lambda: len(phone.events) >= 33 and phone.events)
    got = await tablet_ws.wait_for(lambda: len(tablet_ws.events) >= len(want) and tablet_ws.events)
    assert (
        [e["seq"] for e in got] == [e["seq"] for e in want] == list(range(head_before + 1, head_before + len(want) + 1))
    )
    assert [m["text"] for m in tablet_ws.messages(conversation)] == [f"msg {n}" for n in range(30)]
    # the REST sync of the second device says the same
    events = await laptop.sync_all(since=head_before)
    assert [e["seq"] for e in events][: len(got)] == [e["seq"] for e in got]
    await phone.close()
    await tablet_ws.close()


async def test_recall_shows_a_notice_to_everyone(server: Server) -> None:
    alice, bob = await register(server), await register(server)
    await befriend(alice, bob)
    conversation = await direct(alice, bob)
    b_ws = await Socket.connect(bob)
    sent = await alice.ok("POST", f"/conversations/{conversation}/messages", json={"id": "oops", "text": "wrong chat"})
    seq = sent["message"]["seq"]
    await b_ws.wait_for(lambda: b_ws.messages(conversation))
    assert (await bob.call("POST", f"/conversations/{conversation}/messages/{seq}/recall")).status_code == 403
    recalled = await alice.ok("POST", f"/conversations/{conversation}/messages/{seq}/recall")
    assert recalled["recalled"] and recalled["text"] == ""
    notice = await b_ws.wait_for(lambda: [e for e in b_ws.events if e["type"] == "message.recalled"])
    assert notice[0]["data"] == {"conversation_id": conversation, "seq": seq, "message_id": sent["message"]["id"]}
    history = await bob.ok("GET", f"/conversations/{conversation}/messages")
    assert history["messages"][0]["recalled"] and history["messages"][0]["text"] == ""
    # a later sync shows the message as recalled: the text is gone from the server
    events = await bob.sync_all()
    message_events = [e for e in events if e["type"] == "message"]
    assert message_events[0]["data"]["recalled"] and "wrong chat" not in str(events)
    await b_ws.close()


async def test_mute_pin_and_unread_counts(server: Server) -> None:
    alice, bob, carol = await register(server), await register(server), await register(server)
    await befriend(alice, bob)
    await befriend(alice, carol)
    with_bob = await direct(alice, bob)
    with_carol = await direct(alice, carol)
    for n in range(3):
        await bob.ok("POST", f"/conversations/{with_bob}/messages", json={"id": f"x{n}", "text": "ping"})
    await carol.ok("POST", f"/conversations/{with_carol}/messages", json={"id": "c1", "text": "hey"})
    chats = {c["id"]: c for c in (await alice.ok("GET", "/conversations"))["conversations"]}
    assert chats[with_bob]["unread"] == 3 and chats[with_carol]["unread"] == 1
    assert chats[with_bob]["peer"]["id"] == bob.id
    # newest activity first
    order = [c["id"] for c in (await alice.ok("GET", "/conversations"))["conversations"]]
    assert order == [with_carol, with_bob]
    # pin bob: pinned first; mute carol
    await alice.ok("PATCH", f"/conversations/{with_bob}/prefs", json={"pinned": True})
    await alice.ok("PATCH", f"/conversations/{with_carol}/prefs", json={"muted": True})
    listed = (await alice.ok("GET", "/conversations"))["conversations"]
    assert [c["id"] for c in listed] == [with_bob, with_carol]
    assert listed[0]["pinned"] and listed[1]["muted"]
    # reading on one device clears the count everywhere, and moves only forward
    other_device = await alice.new_device()
    await alice.ok("POST", f"/conversations/{with_bob}/read", json={"seq": 2})
    assert (await other_device.ok("GET", f"/conversations/{with_bob}"))["unread"] == 1
    read = await alice.ok("POST", f"/conversations/{with_bob}/read", json={"seq": 1})
    assert read["read_seq"] == 2
    await alice.ok("POST", f"/conversations/{with_bob}/read", json={"seq": 999})
    assert (await other_device.ok("GET", f"/conversations/{with_bob}"))["unread"] == 0
    reads = [e for e in await other_device.sync_all() if e["type"] == "conversation.read"]
    assert [e["data"]["read_seq"] for e in reads] == [2, 3]
    # bob never learns what alice has read
    assert not [e for e in await bob.sync_all() if e["type"] == "conversation.read"]


async def test_removed_member_stops_receiving(server: Server) -> None:
    owner, stay, go = await register(server), await register(server), await register(server)
    await befriend(owner, stay)
    await befriend(owner, go)
    group = (await owner.ok("POST", "/conversations/groups", json={"user_ids": [stay.id, go.id]}))["id"]
    go_ws, stay_ws = await Socket.connect(go), await Socket.connect(stay)
    await owner.ok("POST", f"/conversations/{group}/messages", json={"id": "before", "text": "before"})
    await go_ws.wait_for(lambda: [m for m in go_ws.messages(group) if m["text"] == "before"])
    await owner.ok("DELETE", f"/conversations/{group}/members/{go.id}")
    left = await go_ws.wait_for(lambda: [e for e in go_ws.events if e["type"] == "conversation.left"])
    assert left[0]["data"] == {"conversation_id": group, "reason": "removed"}
    await owner.ok("POST", f"/conversations/{group}/messages", json={"id": "after", "text": "after"})
    await stay_ws.wait_for(lambda: [m for m in stay_ws.messages(group) if m["text"] == "after"])
    notices = [m["system"]["action"] for m in stay_ws.messages(group) if m["kind"] == "system"]
    assert notices == ["member_removed"]
    assert "after" not in [m["text"] for m in go_ws.messages(group)]
    assert (await go.call("GET", f"/conversations/{group}/messages")).status_code == 404
    sent = await go_ws.send_text(group, "let me back in")
    assert sent["type"] == "error" and sent["error"]["code"] == "not_found"
    assert "after" not in str(await go.sync_all())
    await go_ws.close()
    await stay_ws.close()
