"""Summarizes a speedscope CPU profile of the service by component.

Usage: profile-summary.py PROFILE.speedscope.json [REQUESTS_PER_SECOND SECONDS]

CPU samples are those whose leaf is CPU_TIME (dotnet-trace's sampled thread time); each is given to the component of the
frame nearest the leaf that names one (first match in COMPONENTS, walking from the leaf up). With a request rate and
the profile's length, also the CPU milliseconds per request, in all and per component.
"""
import collections
import json
import sys

COMPONENTS = [
    ("thread pool workers spinning for work", ("LowLevelLifoSemaphore.Wait", "LowLevelSpinWaiter")),
    ("JWT validation (Microsoft.IdentityModel)", ("IdentityModel",)),
    ("JSON (System.Text.Json)", ("System.Text.Json",)),
    ("Npgsql", ("Npgsql!",)),
    ("ranking (Hephaestus.Domain)", ("Hephaestus.Domain!",)),
    ("rate limiter", ("RateLimiting",)),
    ("authentication", ("AspNetCore.Authentication", "Hephaestus.Server.Auth.")),
    ("authorization", ("AspNetCore.Authorization",)),
    ("routing", ("AspNetCore.Routing",)),
    ("logging", ("Extensions.Logging",)),
    ("OpenTelemetry/metrics", ("OpenTelemetry", "Diagnostics.Metrics")),
    ("Hephaestus code (middleware, handlers, Data)", ("hephaestus!", "Hephaestus.Data!")),
    ("socket sends (SocketPal.TryCompleteSendTo)", ("SocketPal.TryCompleteSendTo",)),
    ("socket event loop (SocketAsyncEngine.EventLoop)", ("SocketAsyncEngine.EventLoop",)),
    ("socket completions (SocketAsyncEngine…Execute)", ("SocketAsyncEngine.System.Threading.IThreadPoolWorkItem.Execute",)),
    ("Kestrel, other sockets, pipes", ("Kestrel", "System.Net.Sockets", "System.IO.Pipelines")),
]


def main():
    profile = json.load(open(sys.argv[1]))
    frames = [f["name"] for f in profile["shared"]["frames"]]
    shares = collections.Counter()
    busy = 0.0

    def account(names, weight):
        nonlocal busy
        if not names or names[-1] != "CPU_TIME":
            return
        busy += weight
        for name in reversed(names[:-1]):
            for component, keys in COMPONENTS:
                if any(k in name for k in keys):
                    shares[component] += weight
                    return
        shares["other (runtime, async machinery, GC)"] += weight

    for thread in profile["profiles"]:
        stack, last = [], None
        for event in thread["events"]:
            if last is not None and event["at"] > last and stack:
                account([frames[i] for i in stack], event["at"] - last)
            last = event["at"]
            if event["type"] == "O":
                stack.append(event["frame"])
            elif stack and stack[-1] == event["frame"]:
                stack.pop()
            elif event["frame"] in stack:
                del stack[len(stack) - 1 - stack[::-1].index(event["frame"]):]

    requests = float(sys.argv[2]) * float(sys.argv[3]) if len(sys.argv) > 3 else None
    per_request = f", {busy / requests:.3f} ms a request" if requests else ""
    print(f"CPU ms sampled: {busy:.0f}{per_request}")
    for component, weight in shares.most_common():
        extra = f"  {weight / requests:.3f} ms/request" if requests else ""
        print(f"{100 * weight / busy:5.1f}%  {component}{extra}")


main()
