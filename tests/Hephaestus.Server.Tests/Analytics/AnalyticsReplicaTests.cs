using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Data.Analytics;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Analytics;

/// <summary>A real streaming replica of the test cluster; a cohort of five learners taught by an educator, an analyst; skill A.</summary>
public sealed class ReplicaWorld : ReplicaDatabase
{
    public Guid Skill { get; private set; }
    public Guid Cohort { get; private set; }
    public Guid Analyst { get; private set; }
    public List<Guid> Learners { get; } = [];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var framework = await Catalog.FrameworkAsync(this, "replica");
        Skill = await Catalog.SkillAsync(this, framework, "A");
        Analyst = await CreateUserAsync("n@replica.test", "analyst");
        var educator = await CreateUserAsync("e@replica.test", "educator");
        for (var i = 0; i < 6; i++) Learners.Add(await CreateUserAsync($"l{i}@replica.test", "learner"));
        Cohort = await CohortAsync(Learners[0], educator);
        foreach (var learner in Learners.Skip(1))
        {
            await ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner')", Cohort, learner);
        }

        // Five of six assessed: the sixth is written by the tests to watch it arrive.
        foreach (var learner in Learners.Take(5)) await MasteryAsync(learner);
        await Replica.WaitForReplayAsync();
    }

    public Task MasteryAsync(Guid learner) => ExecuteAsync("""
        INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id, value, level_rank, level_name, mastered, evidence_count)
        VALUES ($1, $2, 0.97, 4, 'mastered', true, 3)
        ON CONFLICT (learner_id, skill_id) DO UPDATE SET evidence_count = learner_skill_mastery.evidence_count + 1
        """, learner, Skill);
}

/// <summary>
/// Analytics on a real replica: reads arrive there (the connection used is in recovery), a write on the primary shows
/// after the lag, a stopped replica makes analytics fall back to the primary and say so (or refuse with a 503), and a
/// replica whose replay is paused reports its growing lag and is not used past the bound. One class, so the tests that
/// stop and pause the replica never run beside one that needs it streaming.
/// </summary>
public class AnalyticsReplicaTests(ReplicaWorld world) : IClassFixture<ReplicaWorld>
{
    string Url => $"/api/v1/analytics/cohorts/{world.Cohort}/mastery";

    static long AssessedLearners(JsonElement body) =>
        body.GetProperty("data").GetProperty("skills").EnumerateArray().Single().GetProperty("learners").GetInt64();

    AnalyticsSource Source(AnalyticsOptions? options = null) =>
        new(world.App, Hephaestus.Data.HephaestusDatabase.CreateDataSource(world.ReplicaAppConnectionString, DatabaseLimits.Interactive), options ?? new AnalyticsOptions());

    [Fact]
    public async Task Analytics_reads_run_on_a_connection_to_a_server_in_recovery()
    {
        await using var analytics = Source();
        var read = await analytics.ReadAsync(new Actor(world.Analyst, ["analyst"]), async (scope, ct) =>
        {
            await using var command = scope.Command("SELECT pg_is_in_recovery(), inet_server_port()");
            await using var reader = await command.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            return (InRecovery: reader.GetBoolean(0), Port: reader.GetInt32(1));
        }, CancellationToken.None);

        Assert.True(read.Data.InRecovery);
        Assert.Equal(world.Replica.Port, read.Data.Port);
        Assert.Equal(AnalyticsSourceKind.Replica, read.Freshness.Source);
        Assert.NotNull(read.Freshness.ReplicaLagSeconds);
        Assert.Null(read.Freshness.SourceNote);
    }

    [Fact]
    public async Task The_api_answers_from_the_replica_and_a_write_on_the_primary_arrives_after_the_lag()
    {
        await using var api = world.ApiWithReplica();
        var client = api.ClientFor("test|n@replica.test");
        var first = await client.GetAsync(Url);
        var body = await Json.ReadAsync(first);
        Assert.True(first.IsSuccessStatusCode, body.ToString());
        Assert.Equal("replica", body.GetProperty("source").GetString());
        Assert.InRange(body.GetProperty("replicaLagSeconds").GetDouble(), 0, 30);
        Assert.Equal("replica", first.Headers.GetValues("Analytics-Source").Single());
        var before = AssessedLearners(body);

        var newcomer = Guid.CreateVersion7();
        await world.ExecuteAsync("INSERT INTO hephaestus.users (id, external_subject, email, display_name) VALUES ($1, $2, $3, 'New')",
            newcomer, $"test|{newcomer}", $"{newcomer}@replica.test");
        await world.ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner')", world.Cohort, newcomer);
        await world.MasteryAsync(newcomer);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        long now;
        do
        {
            var later = await Json.ReadAsync(await client.GetAsync(Url));
            Assert.Equal("replica", later.GetProperty("source").GetString());
            now = AssessedLearners(later);
            if (now == before + 1) break;
            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        Assert.Equal(before + 1, now);
    }

    [Fact]
    public async Task A_stopped_replica_makes_analytics_fall_back_to_the_primary_and_say_so_or_refuse_with_503()
    {
        await using var fallback = world.ApiWithReplica();
        await using var refuse = world.ApiWithReplica(("Analytics:WhenReplicaUnavailable", "refuse"));
        var fallbackClient = fallback.ClientFor("test|n@replica.test");
        var refuseClient = refuse.ClientFor("test|n@replica.test");
        Assert.Equal("replica", (await Json.ReadAsync(await refuseClient.GetAsync(Url))).GetProperty("source").GetString());

        await world.Replica.StopAsync();
        try
        {
            var response = await fallbackClient.GetAsync(Url);
            var body = await Json.ReadAsync(response);
            Assert.True(response.IsSuccessStatusCode, body.ToString());
            Assert.Equal("primary", body.GetProperty("source").GetString());
            Assert.Contains("unreachable", body.GetProperty("sourceNote").GetString());
            Assert.Contains("unreachable", response.Headers.GetValues("Analytics-Source-Note").Single());
            Assert.True(AssessedLearners(body) >= 5);

            var refused = await Json.ProblemAsync(await refuseClient.GetAsync(Url), 503);
            Assert.Contains("refuse", refused.GetProperty("detail").GetString());
            Assert.Contains("unreachable", refused.GetProperty("detail").GetString());

            var ready = await Json.ReadAsync(await fallback.CreateClient().GetAsync("/health/ready"));
            Assert.Equal("ready", ready.GetProperty("status").GetString());
            Assert.Contains("unreachable", ready.GetProperty("analyticsReplica").GetString());
        }
        finally
        {
            await world.Replica.StartAgainAsync();
        }

        await world.Replica.WaitForReplayAsync();
        Assert.Equal("replica", (await Json.ReadAsync(await refuseClient.GetAsync(Url))).GetProperty("source").GetString());
    }

    [Fact]
    public async Task A_paused_replica_reports_its_lag_and_past_the_bound_analytics_read_the_primary()
    {
        await using var tolerant = world.ApiWithReplica(("Analytics:MaxReplicaLagSeconds", "300"));
        await using var strict = world.ApiWithReplica(("Analytics:MaxReplicaLagSeconds", "1"));
        var tolerantClient = tolerant.ClientFor("test|n@replica.test");
        var strictClient = strict.ClientFor("test|n@replica.test");
        // Both have seen the replica caught up, so the bound on the lag starts from there. Other test classes write to the
        // same cluster meanwhile, so the strict source may first see a lag over 1 s and rightly read the primary.
        var caughtUp = await Json.ReadAsync(await tolerantClient.GetAsync(Url));
        Assert.Equal("replica", caughtUp.GetProperty("source").GetString());
        Assert.Equal("replica", (await ReadOnceUnderOneSecondOfLagAsync(strictClient)).GetProperty("source").GetString());
        var before = AssessedLearners(caughtUp);

        await world.Replica.PauseReplayAsync();
        try
        {
            var learner = world.Learners[5];
            await world.MasteryAsync(learner);
            await Task.Delay(TimeSpan.FromSeconds(2.5));

            // Within a 300 s bound: still the replica, which lacks the write, and says it is behind.
            var stale = await Json.ReadAsync(await tolerantClient.GetAsync(Url));
            Assert.Equal("replica", stale.GetProperty("source").GetString());
            Assert.True(stale.GetProperty("replicaLagSeconds").GetDouble() >= 2, stale.ToString());
            Assert.Equal(before, AssessedLearners(stale));
            var asOf = stale.GetProperty("asOf").GetDateTimeOffset();
            Assert.True(asOf <= DateTimeOffset.UtcNow.AddSeconds(-2), $"asOf {asOf:O} should lie at least the lag in the past");

            // Past a 1 s bound: the primary, which has the write, and the note says why.
            var fresh = await Json.ReadAsync(await strictClient.GetAsync(Url));
            Assert.Equal("primary", fresh.GetProperty("source").GetString());
            Assert.Contains("lags", fresh.GetProperty("sourceNote").GetString());
            Assert.True(fresh.GetProperty("replicaLagSeconds").GetDouble() >= 2);
            Assert.Equal(before + 1, AssessedLearners(fresh));

            var ready = await Json.ReadAsync(await strict.CreateClient().GetAsync("/health/ready"));
            Assert.True(ready.GetProperty("replicaLagSeconds").GetDouble() >= 2, ready.ToString());
        }
        finally
        {
            await world.Replica.ResumeReplayAsync();
        }

        await world.Replica.WaitForReplayAsync();
        // Resumed, the strict source goes back to the replica once its lag is under 1 s again.
        var resumed = await ReadOnceUnderOneSecondOfLagAsync(strictClient);
        Assert.Equal("replica", resumed.GetProperty("source").GetString());
        Assert.Equal(before + 1, AssessedLearners(resumed));
    }

    /// <summary>
    /// The strict source's answer once it reads the replica, for up to 15 s: other test classes write to the same
    /// cluster, so "replayed everything" moves on at once and one read can still see a lag over 1 s (and rightly read
    /// the primary); the last answer when it never does.
    /// </summary>
    async Task<JsonElement> ReadOnceUnderOneSecondOfLagAsync(HttpClient strictClient)
    {
        JsonElement answer = default;
        for (var read = 0; read < 30; read++)
        {
            answer = await Json.ReadAsync(await strictClient.GetAsync(Url));
            if (answer.GetProperty("source").GetString() == "replica") break;
            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }

        return answer;
    }
}
