"""Loopback HTTP to a node for the benchmark scripts (Python standard library only)."""
import json
import os
import urllib.request

os.environ.setdefault("OPT_OUT_TRACKING", "true")


def call(url, method, path, body=None, ndjson=False, timeout=3600):
    data = None if body is None else (body if isinstance(body, str) else json.dumps(body)).encode("utf-8")
    headers = {"Content-Type": "application/x-ndjson" if ndjson else "application/json"} if data else {}
    request = urllib.request.Request(url + path, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"{}")
