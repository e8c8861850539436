"""The two thin transports: aiohttp for the async client, requests for the sync one."""
