"""``fiwano-conformance reference admin create-account``: the reference's operator command.

Creates an account at a tier and subscription state in the reference's SQLite database and prints its new
API key, the way any real implementation's admin path provisions a customer. It needs no harness and no
test mode, so a team (and the kit's own self-test) can hand the suites keys of accounts in every state
while the target runs as in production (docs/running-against-your-implementation.md).
"""

from __future__ import annotations

import argparse
import json
import sys

ACTIONS = ("create-account",)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="admin_action", metavar="ACTION", required=True)
    create = actions.add_parser("create-account", help="create an account in a subscription state and print its API key",
                                description="Create an account at a tier and subscription state in the reference's "
                                            "database and print its new API key (one per line).")
    create.add_argument("--db", dest="admin_db", required=True, metavar="PATH",
                        help="the reference's SQLite database (created when missing)")
    create.add_argument("--tier", dest="admin_tier", choices=["pro", "starter"], default="pro",
                        help="license tier (default pro; ignored with --subscription none)")
    create.add_argument("--subscription", dest="admin_subscription", default="active",
                        choices=["active", "expired", "canceled", "none"], help="subscription status (default active)")
    create.add_argument("--source", dest="admin_source", choices=["trial", "paddle", "enterprise"], default=None,
                        help="where the entitlement comes from (default: trial for an active Pro account, else paddle)")
    create.add_argument("--keys", dest="admin_keys", type=int, default=1, metavar="N",
                        help="how many API keys to mint for the account (default 1)")
    create.add_argument("--count", dest="admin_count", type=int, default=1, metavar="N",
                        help="how many such accounts to create (default 1); their keys are printed in order")
    create.add_argument("--profile", dest="admin_profile", default="default",
                        help="the reference's profile (for the trial length; default: default)")
    create.add_argument("--json", dest="admin_json", action="store_true",
                        help="print one JSON object per account (account_id, state, keys) instead of the bare keys")


def run(args: argparse.Namespace) -> int:
    from reference.admin import create_account

    tier = None if args.admin_subscription == "none" else args.admin_tier
    if args.admin_count < 1:
        print("fiwano-conformance reference admin: --count must be at least 1", file=sys.stderr)
        return 2
    for _ in range(args.admin_count):
        try:
            created = create_account(args.admin_db, tier, args.admin_subscription, args.admin_source,
                                     keys=args.admin_keys, profile=args.admin_profile)
        except ValueError as exc:
            print(f"fiwano-conformance reference admin: {exc}", file=sys.stderr)
            return 2
        if args.admin_json:
            first = created[0]
            print(json.dumps({"account_id": first.account_id, "tier": first.tier,
                              "subscription_status": first.subscription_status, "source": first.source,
                              "keys": [{"key_id": c.key_id, "api_key": c.api_key} for c in created]}))
        else:
            for item in created:
                print(item.api_key)
    return 0
