"""The client logic, written once for asyncio; darkai_sdk/_sync is generated from it."""
