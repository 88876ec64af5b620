namespace Hephaestus.Domain.Analytics;

/// <summary>What a replica says about itself and what the primary says at about the same moment.</summary>
/// <param name="PrimaryLsn">pg_current_wal_lsn() on the primary, read just before the replica was asked (null when unknown).</param>
/// <param name="ReplayLsn">pg_last_wal_replay_lsn() on the replica.</param>
/// <param name="LastReplayedCommitAt">pg_last_xact_replay_timestamp(): when the last transaction replayed was committed on the primary.</param>
/// <param name="ReplicaNow">now() on the replica (clocks of one machine or NTP-synchronised servers).</param>
public sealed record ReplicaPosition(ulong? PrimaryLsn, ulong? ReplayLsn, DateTimeOffset? LastReplayedCommitAt, DateTimeOffset ReplicaNow);

/// <summary>
/// How far a replica's data is behind the primary, in seconds. The usual figure, now() − pg_last_xact_replay_timestamp(),
/// is the age of the last replayed commit: on an idle primary it grows forever while the replica holds everything. So:
/// a replica that has replayed all the WAL the primary had written when we looked is 0 s behind (and we remember when
/// it was last seen so). Otherwise every commit it lacks is younger than both the last one it replayed and the last
/// moment it was seen caught up (nothing was missing then), so the lag is at most the smaller of the two ages: that is
/// the figure reported, an upper bound that is tight under steady writes and bounded by the probing interval after an
/// idle spell (WAL without commits, e.g. a checkpoint, cannot inflate it past the last caught-up sighting).
/// </summary>
public static class ReplicaLag
{
    /// <summary>The lag in seconds (≥ 0), or null when nothing bounds it (never seen caught up, nothing replayed yet).</summary>
    public static double? Seconds(ReplicaPosition position, DateTimeOffset? lastSeenCaughtUp)
    {
        ArgumentNullException.ThrowIfNull(position);
        if (IsCaughtUp(position)) return 0;
        double? bound = null;
        if (position.LastReplayedCommitAt is { } replayed) bound = Age(position.ReplicaNow, replayed);
        if (lastSeenCaughtUp is { } seen) bound = Math.Min(bound ?? double.MaxValue, Age(position.ReplicaNow, seen));
        return bound;
    }

    /// <summary>The replica has replayed at least the WAL the primary had when it was asked.</summary>
    public static bool IsCaughtUp(ReplicaPosition position) =>
        position is { PrimaryLsn: { } primary, ReplayLsn: { } replay } && replay >= primary;

    static double Age(DateTimeOffset now, DateTimeOffset then) => Math.Max(0, (now - then).TotalSeconds);
}
