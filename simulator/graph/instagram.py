"""Instagram messaging (Facebook Login flavour): ``POST /{ig-account-id | page-id}/messages``.

Same body as Messenger; text limit 1000 (counted in characters — Meta's IG-Login page says bytes, which
is UNCONFIRMED), window error 10/2534022, unknown user 100/2534014, ``aWdf…`` message ids.
"""

from __future__ import annotations

from simulator import ids
from simulator.graph.context import GraphCall, GraphResult
from simulator.graph.messenger import Rules, send_messaging
from simulator.world import Asset

INSTAGRAM = Rules("instagram", 1000, 2534022, 2534014, ("image", "video", "audio", "file"),
                  lambda asset: ids.instagram_mid(asset.ig_account_id or asset.asset_id))


def send(call: GraphCall, asset: Asset) -> GraphResult:
    return send_messaging(call, asset, INSTAGRAM)
