"""The SDK's sequential loop: send_to_user for every user in a file, timed after import.

Prints one JSON object: requests, ok, elapsed_s, rate.
"""
import json
import os
import sys
import time

from azure.messaging.webpubsubservice import WebPubSubServiceClient

users = [
    line.strip()
    for line in open(sys.argv[1], encoding="utf-8")
    if line.strip() and not line.startswith("#")
]
client = WebPubSubServiceClient.from_connection_string(
    os.environ["WPS_CONNECTION_STRING"], hub=os.environ.get("WPS_HUB", "chat")
)
ok = 0
started = time.perf_counter()
for user in users:
    # Raises on any non-2xx answer, so every counted request was accepted.
    client.send_to_user(user, "hi", content_type="text/plain")
    ok += 1
elapsed = time.perf_counter() - started
print(json.dumps({"tool": "sdk-loop", "requests": len(users), "ok": ok,
                  "elapsed_s": elapsed, "rate": len(users) / elapsed}))
