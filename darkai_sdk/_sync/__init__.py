# GENERATED FILE: do not edit. Made by tools/unasync.py from darkai_sdk/_async/__init__.py;
# edit that file and run `python tools/unasync.py`.
"""The client logic, written once for asyncio; darkai_sdk/_sync is generated from it."""
