using Hephaestus.Domain.Analytics;
using Npgsql;
using NpgsqlTypes;

namespace Hephaestus.Data.Analytics;

/// <summary>Where an analytics answer was read.</summary>
public enum AnalyticsSourceKind
{
    Primary,
    Replica,
}

/// <summary>What analytics do when the replica is down, is not a standby, or lags past the bound.</summary>
public enum ReplicaUnavailable
{
    /// <summary>Read from the primary and say so (the default: an answer a little costlier beats none).</summary>
    Fallback,

    /// <summary>Answer 503 with the reason: for deployments where analytics must never load the primary.</summary>
    Refuse,
}

/// <summary>Analytics settings (the Analytics: section of the configuration).</summary>
public sealed record AnalyticsOptions
{
    /// <summary>Aggregates over fewer learners are suppressed (<see cref="SmallGroups"/>).</summary>
    public int MinimumGroupSize { get; init; } = SmallGroups.DefaultMinimum;

    /// <summary>A replica further behind than this is not used.</summary>
    public double MaxReplicaLagSeconds { get; init; } = 30;

    public ReplicaUnavailable WhenReplicaUnavailable { get; init; } = ReplicaUnavailable.Fallback;
}

/// <summary>How fresh an analytics answer is: where it was read, the moment its data reflects, and why not the replica.</summary>
/// <param name="AsOf">The data reflects every commit up to about this moment: the read's start, less the replica's lag.</param>
/// <param name="ReplicaLagSeconds">The replica's lag when it was probed (null when there is no replica, or it did not answer).</param>
/// <param name="SourceNote">Why a configured replica was not used (down, not a standby, lagging), null when it was or when there is none.</param>
public sealed record AnalyticsFreshness(AnalyticsSourceKind Source, DateTimeOffset AsOf, double? ReplicaLagSeconds, string? SourceNote);

/// <summary>An analytics answer with its freshness.</summary>
public sealed record AnalyticsRead<T>(T Data, AnalyticsFreshness Freshness);

/// <summary>The replica as readiness reports it: configured or not, its lag, what is wrong with it.</summary>
public sealed record ReplicaHealth(bool Configured, double? LagSeconds, string? Problem);

/// <summary>
/// The replica is unusable and Analytics:WhenReplicaUnavailable is refuse: the edge answers 503 with <see cref="Exception.Message"/>.
/// </summary>
public sealed class AnalyticsReplicaUnavailableException(string reason) : Exception(reason);

/// <summary>
/// Chooses the server of each analytics read and runs it there (issue 12): the replica named by
/// ConnectionStrings:Analytics (or started by the embedded default) when it answers, is a standby and lags at most
/// Analytics:MaxReplicaLagSeconds; otherwise the primary with a note saying why, or a refusal, as
/// Analytics:WhenReplicaUnavailable says. Nothing else reads here: learner-facing reads that must see their own writes
/// stay on the primary's data source. Each read runs in one read-only REPEATABLE READ transaction marked as analytics
/// (one snapshot for all its statements; analysts' policies of Sql/0027_analytics.sql apply), with the actor set, so
/// row-level security decides what an educator or a learner sees on either server.
/// </summary>
/// <remarks>The replica's data source is this object's own (disposed with it); the primary's is the process's.</remarks>
public sealed class AnalyticsSource(NpgsqlDataSource primary, NpgsqlDataSource? replica, AnalyticsOptions options, TimeProvider? time = null)
    : IAsyncDisposable
{
    const string PrimaryLsnSql = "SELECT pg_current_wal_lsn()";

    /// <summary>One round trip: is it a standby, how far has it replayed, when was its last replayed commit, its clock.</summary>
    const string ReplicaProbeSql =
        "SELECT pg_is_in_recovery(), pg_last_wal_replay_lsn(), pg_last_xact_replay_timestamp(), now()";

    readonly TimeProvider _time = time ?? TimeProvider.System;
    long _lastCaughtUpTicks; // UTC ticks (replica clock) of the last probe that found the replica caught up; 0: never

    public AnalyticsOptions Options { get; } = options ?? throw new ArgumentNullException(nameof(options));
    public bool HasReplica => replica is not null;

    /// <summary>
    /// Runs <paramref name="read"/> on the chosen server for <paramref name="actor"/>. Throws
    /// <see cref="AnalyticsReplicaUnavailableException"/> when the replica is unusable and the configuration says refuse.
    /// A read that the replica breaks off (it went away mid-read, or cancelled it for a conflict with replay) is run once
    /// more by the same rule, which then finds the replica unusable or fine.
    /// </summary>
    public async Task<AnalyticsRead<T>> ReadAsync<T>(Actor actor, Func<ActorScope, CancellationToken, Task<T>> read, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(read);
        for (var attempt = 1; ; attempt++)
        {
            var (connection, freshness) = await ChooseAsync(ct);
            try
            {
                await using var scope = await ActorScope.BeginAnalyticsAsync(connection, actor, ct);
                return new AnalyticsRead<T>(await read(scope, ct), freshness);
            }
            catch (Exception e) when (attempt == 1 && freshness.Source == AnalyticsSourceKind.Replica && BrokenOffByReplica(e))
            {
                // the next round probes again
            }
        }
    }

    /// <summary>The replica's state for readiness: never throws for the replica's sake (a broken replica does not make the service unready).</summary>
    public async Task<ReplicaHealth> CheckReplicaAsync(CancellationToken ct)
    {
        if (replica is null) return new ReplicaHealth(false, null, null);
        var probe = await ProbeReplicaAsync(ct);
        if (probe.Connection is not null) await probe.Connection.DisposeAsync();
        return new ReplicaHealth(true, probe.LagSeconds, probe.Problem);
    }

    async Task<(NpgsqlConnection Connection, AnalyticsFreshness Freshness)> ChooseAsync(CancellationToken ct)
    {
        if (replica is null)
        {
            return (await primary.OpenConnectionAsync(ct), new AnalyticsFreshness(AnalyticsSourceKind.Primary, _time.GetUtcNow(), null, null));
        }

        var probe = await ProbeReplicaAsync(ct);
        if (probe.Problem is null && probe.Connection is not null)
        {
            var asOf = probe.ReplicaNow.AddSeconds(-(probe.LagSeconds ?? 0));
            return (probe.Connection, new AnalyticsFreshness(AnalyticsSourceKind.Replica, asOf, probe.LagSeconds, null));
        }

        if (probe.Connection is not null) await probe.Connection.DisposeAsync();
        if (Options.WhenReplicaUnavailable == ReplicaUnavailable.Refuse)
        {
            throw new AnalyticsReplicaUnavailableException(
                $"Analytics read only from the replica (Analytics:WhenReplicaUnavailable = refuse), and the replica is unusable: {probe.Problem}.");
        }

        return (await primary.OpenConnectionAsync(ct),
            new AnalyticsFreshness(AnalyticsSourceKind.Primary, _time.GetUtcNow(), probe.LagSeconds, $"read from the primary: the replica {probe.Problem}"));
    }

    sealed record Probe(NpgsqlConnection? Connection, double? LagSeconds, DateTimeOffset ReplicaNow, string? Problem);

    /// <summary>
    /// Reads the primary's WAL position first, then the replica's state, on the connection the read will use (so the
    /// answer's source is the server probed). A replica that has replayed what the primary had is caught up, which is
    /// remembered to bound the lag later (<see cref="ReplicaLag"/>).
    /// </summary>
    async Task<Probe> ProbeReplicaAsync(CancellationToken ct)
    {
        ulong primaryLsn;
        await using (var command = primary.CreateCommand(PrimaryLsnSql))
        {
            primaryLsn = (ulong)(NpgsqlLogSequenceNumber)(await command.ExecuteScalarAsync(ct))!;
        }

        NpgsqlConnection? connection = null;
        try
        {
            connection = await replica!.OpenConnectionAsync(ct);
            await using var probe = new NpgsqlCommand(ReplicaProbeSql, connection);
            await using var reader = await probe.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var inRecovery = reader.GetBoolean(0);
            var replayLsn = reader.IsDBNull(1) ? (ulong?)null : (ulong)reader.GetFieldValue<NpgsqlLogSequenceNumber>(1);
            var replayedAt = reader.GetNullableTime(2);
            var now = reader.GetTime(3);
            await reader.DisposeAsync();
            if (!inRecovery) return new Probe(connection, null, now, "is not a standby (pg_is_in_recovery() is false)");

            var position = new ReplicaPosition(primaryLsn, replayLsn, replayedAt, now);
            if (ReplicaLag.IsCaughtUp(position)) Interlocked.Exchange(ref _lastCaughtUpTicks, now.UtcTicks);
            var seen = Interlocked.Read(ref _lastCaughtUpTicks);
            var lag = ReplicaLag.Seconds(position, seen == 0 ? null : new DateTimeOffset(seen, TimeSpan.Zero));
            if (lag is null) return new Probe(connection, null, now, "has an unknown lag (it has replayed no commit and was never seen caught up)");
            if (lag > Options.MaxReplicaLagSeconds)
            {
                return new Probe(connection, lag, now,
                    FormattableString.Invariant($"lags {lag:0.###} s behind the primary, more than Analytics:MaxReplicaLagSeconds = {Options.MaxReplicaLagSeconds}"));
            }

            return new Probe(connection, lag, now, null);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException && !ct.IsCancellationRequested)
        {
            if (connection is not null) await connection.DisposeAsync();
            replica!.Clear(); // idle connections to a replica that went away are dead too
            return new Probe(null, null, _time.GetUtcNow(), "is unreachable: " + e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (replica is not null) await replica.DisposeAsync();
    }

    /// <summary>The replica went away mid-read, or cancelled the read for a conflict with WAL replay (SQLSTATE 40001 on a standby).</summary>
    static bool BrokenOffByReplica(Exception e) =>
        (DatabaseAvailability.IsUnavailable(e) && !DatabaseAvailability.IsTimedOut(e))
        || e is PostgresException { SqlState: PostgresErrorCodes.SerializationFailure };
}
