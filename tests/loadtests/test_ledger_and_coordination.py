"""The ledger ships rows from workers to the master without loss or double counting, and the coordinator
never lets two users drive the same key."""

import msgpack

from loadtests.keyclaims import Coordinator
from loadtests.keyring import ChannelSpec, Keyring, KeySpec
from loadtests.ledger import Detail, Ledger, Op
from loadtests.ratelimit import Outcome


def test_shipping_moves_each_row_once_through_msgpack():
    worker, master = Ledger(), Ledger()
    worker.record(1, 0, Op.SEND_TEXT, 1.0, 1.1, 200, Detail.SENT)
    worker.record(1, 1, Op.SEND_TEXT, 2.0, 2.1, 429)
    worker.record_inbound({"channel_id": "c", "message_id": "m"})
    master.merge(msgpack.unpackb(msgpack.packb(worker.take_unshipped())))
    worker.record(1, 2, Op.READ_CHANNELS, 3.0, 3.1, 0)
    worker.record(2, 0, Op.SEND_MEDIA, 3.0, 3.2, 200, Detail.QUEUED)
    only_two = worker.take_unshipped(only_key=2)
    assert only_two["keys"].keys() == {"2"} and only_two["inbound"] == []
    master.merge(only_two)
    master.merge(worker.take_unshipped())
    assert master.take_unshipped() and worker.take_unshipped() == {"keys": {}, "inbound": []}
    assert master.row_count() == 4 and master.keys() == [1, 2]
    assert [r.outcome for r in master.rows(1)] == [Outcome.ADMITTED, Outcome.REJECTED, Outcome.UNKNOWN]
    assert [r.detail for r in master.rows(2)] == [Detail.QUEUED]
    assert master.inbound == [{"channel_id": "c", "message_id": "m"}]


def keyring(n_send=2, n_read=1):
    keys = [KeySpec(index=i, api_key=f"mip_live_{i:020d}",
                    channels=[ChannelSpec(channel_id=f"c{i}", channel_type="whatsapp", recipient="1555")])
            for i in range(n_send)]
    keys += [KeySpec(index=n_send + i, api_key=f"mip_live_r{i:019d}") for i in range(n_read)]
    return Keyring(run_id="r", keys=keys)


def test_keys_are_exclusive_and_come_back():
    coordinator = Coordinator(keyring(), {"interval": 1})
    first = coordinator.claim("send", "w1")["key"]["index"]
    second = coordinator.claim("send", "w2")["key"]["index"]
    assert first != second
    # a third sender gets the read-only key rather than sharing one (it will read with it)
    third = coordinator.claim("send", "w1")["key"]["index"]
    assert third == 2
    assert coordinator.claim("send", "w1") is None
    assert not coordinator.idle()
    coordinator.release("send", first, 17, {"keys": {str(first): {"seq": [16], "op": [1], "sent": [1.0],
                                                                   "done": [1.1], "status": [200],
                                                                   "detail": [1]}}, "inbound": []})
    again = coordinator.claim("send", "w3")
    assert again["key"]["index"] == first and again["next_seq"] == 17
    assert coordinator.ledger.row_count() == 1


def test_readers_prefer_read_only_keys_and_inbound_claims_count():
    coordinator = Coordinator(keyring(), {}, inbound_targets=[[0, {"channel_id": "c0"}]])
    assert coordinator.claim("read", "w")["key"]["index"] == 2
    inbound = coordinator.claim("inbound", "w")
    assert inbound["run"]["inbound_targets"] and inbound["user_no"] == 0
    coordinator.release("read", 2, 1, None)
    assert not coordinator.idle()
    coordinator.release("inbound", None, None, None)
    assert coordinator.idle()
