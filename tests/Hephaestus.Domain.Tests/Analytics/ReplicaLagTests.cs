using Hephaestus.Domain.Analytics;

namespace Hephaestus.Domain.Tests.Analytics;

public class ReplicaLagTests
{
    static readonly DateTimeOffset Now = new(2026, 12, 2, 4, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_idle_primary_with_everything_replayed_is_no_lag_however_old_the_last_commit()
    {
        // The last commit was an hour ago and nothing happened since: replay-timestamp lag would say 3600 s.
        var position = new ReplicaPosition(PrimaryLsn: 5000, ReplayLsn: 5000, LastReplayedCommitAt: Now.AddHours(-1), ReplicaNow: Now);
        Assert.Equal(0, ReplicaLag.Seconds(position, lastSeenCaughtUp: null));
    }

    [Fact]
    public void Behind_under_steady_writes_is_the_age_of_the_last_replayed_commit()
    {
        var position = new ReplicaPosition(PrimaryLsn: 9000, ReplayLsn: 5000, LastReplayedCommitAt: Now.AddSeconds(-3), ReplicaNow: Now);
        Assert.Equal(3, ReplicaLag.Seconds(position, lastSeenCaughtUp: Now.AddSeconds(-10)));
    }

    [Fact]
    public void After_an_idle_spell_the_lag_is_bounded_by_the_last_time_the_replica_was_seen_caught_up()
    {
        // Idle for an hour, then a write the replica has not replayed yet: it lacks at most what came after it was last
        // seen caught up two seconds ago, not an hour's worth.
        var position = new ReplicaPosition(PrimaryLsn: 9000, ReplayLsn: 5000, LastReplayedCommitAt: Now.AddHours(-1), ReplicaNow: Now);
        Assert.Equal(2, ReplicaLag.Seconds(position, lastSeenCaughtUp: Now.AddSeconds(-2)));
    }

    [Fact]
    public void A_paused_replica_lags_more_and_more()
    {
        var seen = Now.AddSeconds(-1);
        var first = ReplicaLag.Seconds(new ReplicaPosition(9000, 5000, Now.AddSeconds(-1), Now), seen);
        var later = ReplicaLag.Seconds(new ReplicaPosition(9500, 5000, Now.AddSeconds(-1), Now.AddSeconds(5)), seen);
        Assert.Equal(1, first);
        Assert.Equal(6, later);
    }

    [Fact]
    public void Nothing_known_is_no_figure_and_a_clock_behind_is_never_negative()
    {
        Assert.Null(ReplicaLag.Seconds(new ReplicaPosition(9000, 5000, null, Now), null));
        Assert.Null(ReplicaLag.Seconds(new ReplicaPosition(null, 5000, null, Now), null));
        Assert.Equal(0, ReplicaLag.Seconds(new ReplicaPosition(9000, 5000, Now.AddSeconds(2), Now), null));
    }

    [Theory]
    [InlineData(4, 5, true)]
    [InlineData(5, 5, false)]
    [InlineData(0, 1, true)]
    [InlineData(30, 5, false)]
    public void Small_groups_are_suppressed_below_the_minimum_with_a_reason(long learners, int minimum, bool suppressed)
    {
        Assert.Equal(suppressed, SmallGroups.IsSuppressed(learners, minimum));
        var reason = SmallGroups.SuppressionReason(learners, minimum);
        Assert.Equal(suppressed, reason is not null);
        if (reason is not null) Assert.Contains($"{learners} learner(s), fewer than the minimum group size of {minimum}", reason);
    }
}
