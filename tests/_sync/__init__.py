# GENERATED FILE: do not edit. Made by tools/unasync.py from tests/_async/__init__.py;
# edit that file and run `python tools/unasync.py`.
