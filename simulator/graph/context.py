"""What a Graph handler receives (GraphCall) and returns (GraphResult)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator.errors import Surface
from simulator.graph.request import GraphRequest
from simulator.world import Asset, Store, World


@dataclass
class GraphCall:
    store: Store
    request: GraphRequest
    world: World | None          # attributed world (token first, else path object)
    token_world: World | None    # world the token belongs to (None: unknown/missing token)
    token_asset: Asset | None    # asset the token belongs to (None: the world's user token)
    surface: Surface

    @property
    def params(self) -> dict[str, Any]:
        return self.request.params

    def now(self) -> float:
        return self.world.clock.now() if self.world else self.store.clock.now()


@dataclass
class GraphResult:
    body: Any
    status: int = 200
    content: bytes | None = None        # raw body (media downloads) instead of JSON
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    webhooks: list[tuple[float, dict[str, Any]]] = field(default_factory=list)  # (delay, payload)
    response: Any = None                # a ready Starlette response (hostile media deliveries)
