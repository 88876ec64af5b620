using Microsoft.Extensions.Logging;

namespace Hephaestus.Data.Embedded;

public enum PostmasterState
{
    /// <summary>The postmaster runs (or has not been seen to stop).</summary>
    Running,

    /// <summary>It exited unexpectedly; the next restart waits for its backoff.</summary>
    Down,

    /// <summary>pg_ctl start is running: crash recovery (WAL replay) happens here, before the server accepts connections.</summary>
    Starting,
}

public sealed record EmbeddedSupervisorOptions
{
    /// <summary>How often the postmaster's pid file and process are looked at (reading /proc: no connection, no query).</summary>
    public TimeSpan CheckEvery { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>The wait after the first failed restart; it doubles after each further failure, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan FirstBackoff { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Down (restarts failing) for longer than this, the process is no longer live, so an orchestrator restarts it.</summary>
    public TimeSpan LivenessFailsAfter { get; init; } = TimeSpan.FromMinutes(2);
}

/// <summary>
/// Watches the postmaster of an embedded cluster this process started, and starts it again with backoff when it exits
/// without being asked to (kill -9, an OOM kill, pg_ctl stop from a shell). Only the owner supervises: a process attached
/// to another's cluster, or on an external server, does not.
/// </summary>
public sealed class EmbeddedSupervisor : IAsyncDisposable
{
    readonly EmbeddedPostgres _cluster;
    readonly EmbeddedSupervisorOptions _options;
    readonly ILogger _logger;
    readonly TimeProvider _time;
    readonly CancellationTokenSource _stop = new();
    readonly Task _watch;
    long _downSinceTicks; // 0 while running; UTC ticks of the first failed check otherwise
    int _disposed;
    volatile PostmasterState _state = PostmasterState.Running;

    public EmbeddedSupervisor(EmbeddedPostgres cluster, EmbeddedSupervisorOptions options, ILogger logger, TimeProvider? time = null)
    {
        _cluster = cluster;
        _options = options;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _watch = Task.Run(() => WatchAsync(_stop.Token));
    }

    public PostmasterState State => _state;

    /// <summary>When the postmaster was found gone, while it has not been running since; null while it runs.</summary>
    public DateTimeOffset? DownSince => Interlocked.Read(ref _downSinceTicks) is var t and not 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

    /// <summary>False once restarts have kept failing for longer than <see cref="EmbeddedSupervisorOptions.LivenessFailsAfter"/>.</summary>
    public bool IsLive => DownSince is not { } since || _time.GetUtcNow() - since <= _options.LivenessFailsAfter;

    /// <summary>Raised after a successful restart: pooled connections to the old server are dead and should be dropped.</summary>
    public event Action? Restarted;

    async Task WatchAsync(CancellationToken ct)
    {
        try
        {
            while (true)
            {
                await Task.Delay(_options.CheckEvery, _time, ct);
                if (_cluster.IsPostmasterRunning()) continue;

                _logger.LogError("The embedded PostgreSQL (data in {DataDirectory}) is not running; restarting it", _cluster.DataDirectory);
                Interlocked.Exchange(ref _downSinceTicks, _time.GetUtcNow().UtcTicks);
                await RestartWithBackoffAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopping
        }
    }

    async Task RestartWithBackoffAsync(CancellationToken ct)
    {
        var backoff = _options.FirstBackoff;
        for (var attempt = 1; ; attempt++)
        {
            _state = PostmasterState.Starting;
            try
            {
                await _cluster.RestartAsync(ct);
                _state = PostmasterState.Running;
                var downFor = _time.GetUtcNow() - DownSince;
                Interlocked.Exchange(ref _downSinceTicks, 0);
                _logger.LogWarning("The embedded PostgreSQL is running again (attempt {Attempt}, down for {DownFor})", attempt, downFor);
                Restarted?.Invoke();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                _state = PostmasterState.Down;
                _logger.LogError(e, "Restarting the embedded PostgreSQL failed (attempt {Attempt}); next attempt in {Backoff}", attempt, backoff);
                await Task.Delay(backoff, _time, ct);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.MaxBackoff.Ticks));
            }
        }
    }

    /// <summary>Stops watching (before the cluster is stopped on purpose), waiting for a restart in progress to end.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        await _stop.CancelAsync();
        await _watch;
        _stop.Dispose();
    }
}
