"""Prints a REST bearer token for one URL, signed as the SDK signs it (HS256, aud = URL).

Used by benches/run to give curl a pre-signed token, so curl does no signing of its own.
Usage: sign.py URL ACCESS_KEY
"""
import sys
import time

import jwt

url, key = sys.argv[1], sys.argv[2]
print(jwt.encode({"aud": url, "exp": int(time.time()) + 3600}, key, algorithm="HS256"))
