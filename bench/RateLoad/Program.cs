using System.Diagnostics;
using System.Globalization;
using System.Net;

// `RateLoad url=<base> requests=<file> rate=<per second> seconds=<n> [warmup=<seconds>] [connections=<max>]`, one line of
// results on stdout (key=value pairs). The file has one request a line: "<path and query> <bearer token>"; request i is
// due at start + i / rate and uses line i mod count (the lines are shuffled by the caller). Each request's latency
// counts from when it was due, not from when it was sent, so a late sender (timer, thread pool, full connections) is not
// forgiven (coordinated omission). The first `warmup` seconds (default 5) run at the same rate in the same process and
// are not counted: this process's own JIT and its first connections would otherwise be measured as the service's
// latency. Connections are opened on demand up to `connections` (default 256).
var options = args.Select(a => a.Split('=', 2)).ToDictionary(a => a[0], a => a[1]);
var baseUrl = new Uri(options["url"]);
var lines = File.ReadAllLines(options["requests"]).Where(l => l.Length > 0).Select(l => l.Split(' ', 2)).ToArray();
var rate = double.Parse(options["rate"], CultureInfo.InvariantCulture);
var seconds = double.Parse(options["seconds"], CultureInfo.InvariantCulture);
var warmup = options.TryGetValue("warmup", out var w) ? double.Parse(w, CultureInfo.InvariantCulture) : 5;
var maxConnections = options.TryGetValue("connections", out var c) ? int.Parse(c, CultureInfo.InvariantCulture) : 256;

using var http = new HttpClient(new SocketsHttpHandler
{
    MaxConnectionsPerServer = maxConnections,
    PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
    AutomaticDecompression = DecompressionMethods.None,
})
{ BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(30) };

var skipped = (long)(rate * warmup);
var total = skipped + (long)(rate * seconds);
var latencies = new double[total];
long failures = 0;
var inFlight = new List<Task>((int)Math.Min(total, 1_000_000));
var clock = Stopwatch.StartNew();

async Task Send(long i)
{
    var due = i / rate;
    var line = lines[i % lines.Length];
    using var request = new HttpRequestMessage(HttpMethod.Get, line[0]);
    request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + line[1]);
    try
    {
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
        if (!response.IsSuccessStatusCode && i >= skipped) Interlocked.Increment(ref failures);
    }
    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
    {
        if (i >= skipped) Interlocked.Increment(ref failures);
    }
    latencies[i] = (clock.Elapsed.TotalSeconds - due) * 1000;
}

// The schedule: wake about every millisecond and start every request whose time has come.
for (long next = 0; next < total;)
{
    var now = clock.Elapsed.TotalSeconds;
    for (; next < total && next / rate <= now; next++) inFlight.Add(Send(next));
    if (next < total) await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(0, (next / rate - clock.Elapsed.TotalSeconds) * 1000)));
}
var sendingEnded = clock.Elapsed.TotalSeconds;
await Task.WhenAll(inFlight);

var measured = latencies[(int)skipped..];
Array.Sort(measured);
double Quantile(double q) => measured[Math.Min(measured.Length - 1, (int)(q * measured.Length))];
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"requests={measured.Length} target_rate={rate:F0} achieved_rate={(total - skipped) / (sendingEnded - skipped / rate):F0} failures={failures} " +
    $"avg={measured.Average():F2} p50={Quantile(0.50):F2} p90={Quantile(0.90):F2} p99={Quantile(0.99):F2} p999={Quantile(0.999):F2} max={measured[^1]:F2}"));
