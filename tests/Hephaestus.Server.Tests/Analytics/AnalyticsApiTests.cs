using System.Net.Http.Headers;
using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Data.Analytics;
using Hephaestus.Testing;
using Npgsql;

namespace Hephaestus.Server.Tests.Analytics;

/// <summary>
/// A cohort of six learners taught by an educator, and a cohort of two; a framework with skill A (assessed for all six:
/// three mastered, two familiar, one attempted) and skill B (assessed for two of them only), and a skill whose title
/// would be a spreadsheet formula; an analyst, an admin, another educator. No replica: analytics read the primary.
/// </summary>
public sealed class AnalyticsWorld : ApiDatabase
{
    public Guid Framework { get; private set; }
    public Guid SkillA { get; private set; }
    public Guid SkillB { get; private set; }
    public Guid Cohort { get; private set; }
    public Guid SmallCohort { get; private set; }
    public List<Guid> Learners { get; } = [];
    public Dictionary<string, HttpClient> Clients { get; } = [];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        Framework = await Catalog.FrameworkAsync(this, "analytics");
        SkillA = await Catalog.SkillAsync(this, Framework, "A");
        SkillB = await Catalog.SkillAsync(this, Framework, "B");
        var formula = await Catalog.SkillAsync(this, Framework, "F");
        await ExecuteAsync("UPDATE hephaestus.skills SET title = '=HYPERLINK(\"x\")' WHERE id = $1", formula);

        Guid educator;
        (educator, Clients["educator"]) = await UserAsync("e@analytics.test", "educator");
        (_, Clients["other educator"]) = await UserAsync("f@analytics.test", "educator");
        (_, Clients["analyst"]) = await UserAsync("n@analytics.test", "analyst");
        (_, Clients["admin"]) = await UserAsync("root@analytics.test", "admin");
        for (var i = 0; i < 6; i++)
        {
            var (id, client) = await UserAsync($"l{i}@analytics.test", "learner");
            Learners.Add(id);
            Clients[$"learner {i}"] = client;
        }

        Cohort = await CohortAsync(Learners[0], educator);
        foreach (var learner in Learners.Skip(1))
        {
            await ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner')", Cohort, learner);
        }

        SmallCohort = await CohortAsync(Learners[0], educator);
        await ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner')", SmallCohort, Learners[1]);

        (int Rank, string Level, double Value)[] levels =
            [(4, "mastered", 0.97), (4, "mastered", 0.96), (4, "mastered", 0.99), (2, "familiar", 0.6), (2, "familiar", 0.55), (1, "attempted", 0.2)];
        for (var i = 0; i < 6; i++) await MasteryAsync(Learners[i], SkillA, levels[i]);
        await MasteryAsync(Learners[0], SkillB, (3, "proficient", 0.85));
        await MasteryAsync(Learners[1], SkillB, (4, "mastered", 0.98));
        for (var i = 0; i < 6; i++) await MasteryAsync(Learners[i], formula, (2, "familiar", 0.5));
    }

    Task MasteryAsync(Guid learner, Guid skill, (int Rank, string Level, double Value) at) => ExecuteAsync("""
        INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id, value, level_rank, level_name, mastered, evidence_count, last_evidence_at)
        VALUES ($1, $2, $3::numeric, $4::smallint, $5, $4 = 4, 3, now())
        """, learner, skill, at.Value, at.Rank, at.Level);
}

public class AnalyticsApiTests(AnalyticsWorld world) : IClassFixture<AnalyticsWorld>
{
    string CohortUrl(Guid? cohort = null) => $"/api/v1/analytics/cohorts/{cohort ?? world.Cohort}/mastery?frameworkId={world.Framework}";

    static JsonElement Skill(JsonElement body, string code) =>
        body.GetProperty("data").GetProperty("skills").EnumerateArray().Single(s => s.GetProperty("skillCode").GetString() == code);

    [Fact]
    public async Task A_cohort_mastery_distribution_counts_learners_per_level_and_states_its_parameters_and_freshness()
    {
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        var response = await world.Clients["analyst"].GetAsync(CohortUrl());
        var body = await Json.ReadAsync(response);
        Assert.True(response.IsSuccessStatusCode, body.ToString());

        Assert.Equal(world.Cohort, body.GetProperty("parameters").GetProperty("cohortId").GetGuid());
        Assert.Equal(world.Framework, body.GetProperty("parameters").GetProperty("frameworkId").GetGuid());
        Assert.Equal("primary", body.GetProperty("source").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("replicaLagSeconds").ValueKind);
        Assert.Equal(5, body.GetProperty("minimumGroupSize").GetInt32());
        var asOf = body.GetProperty("asOf").GetDateTimeOffset();
        Assert.InRange(asOf, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(6, body.GetProperty("data").GetProperty("cohortLearners").GetInt64());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("data").GetProperty("suppressed").ValueKind);

        var a = Skill(body, "A");
        Assert.Equal(6, a.GetProperty("learners").GetInt64());
        Assert.Equal(3, a.GetProperty("mastered").GetInt64());
        var counts = a.GetProperty("levels").EnumerateArray().ToDictionary(l => l.GetProperty("level").GetString()!, l => l.GetProperty("learners").GetInt64());
        Assert.Equal(new Dictionary<string, long> { ["attempted"] = 1, ["familiar"] = 2, ["mastered"] = 3 }, counts);
        Assert.Equal(JsonValueKind.Null, a.GetProperty("suppressed").ValueKind);
        Assert.Equal("primary", response.Headers.GetValues("Analytics-Source").Single());
        Assert.Equal($"cohortId={world.Cohort}&frameworkId={world.Framework}", response.Headers.GetValues("Analytics-Parameters").Single());
    }

    [Fact]
    public async Task A_skill_assessed_for_fewer_learners_than_the_minimum_is_suppressed_with_the_reason()
    {
        var body = await Json.ReadAsync(await world.Clients["analyst"].GetAsync(CohortUrl()));
        var b = Skill(body, "B");
        Assert.Equal(2, b.GetProperty("learners").GetInt64());
        Assert.Equal(JsonValueKind.Null, b.GetProperty("mastered").ValueKind);
        Assert.Equal(JsonValueKind.Null, b.GetProperty("levels").ValueKind);
        Assert.Contains("fewer than the minimum group size of 5", b.GetProperty("suppressed").GetString());
    }

    [Fact]
    public async Task A_cohort_smaller_than_the_minimum_has_every_aggregate_suppressed()
    {
        var body = await Json.ReadAsync(await world.Clients["educator"].GetAsync(CohortUrl(world.SmallCohort)));
        Assert.Equal(2, body.GetProperty("data").GetProperty("cohortLearners").GetInt64());
        Assert.Contains("2 learner(s)", body.GetProperty("data").GetProperty("suppressed").GetString());
        var skills = body.GetProperty("data").GetProperty("skills").EnumerateArray().ToList();
        Assert.NotEmpty(skills);
        Assert.All(skills, s => Assert.Equal(JsonValueKind.Null, s.GetProperty("levels").ValueKind));
    }

    [Fact]
    public async Task The_minimum_group_size_is_configurable()
    {
        await using var api = new ApiFactory(world, new Dictionary<string, string?> { ["Analytics:MinimumGroupSize"] = "2" });
        var client = api.ClientFor("test|n@analytics.test");
        var body = await Json.ReadAsync(await client.GetAsync(CohortUrl()));
        Assert.Equal(2, body.GetProperty("minimumGroupSize").GetInt32());
        var b = Skill(body, "B");
        Assert.Equal(1, b.GetProperty("mastered").GetInt64());
        Assert.Equal(JsonValueKind.Null, b.GetProperty("suppressed").ValueKind);
    }

    [Theory]
    [InlineData("analyst", 200)]
    [InlineData("admin", 200)]
    [InlineData("educator", 200)]
    [InlineData("other educator", 404)]
    [InlineData("learner 0", 403)]
    public async Task Cohort_aggregates_are_for_analysts_admins_and_the_cohorts_educators(string actor, int expected)
    {
        var response = await world.Clients[actor].GetAsync(CohortUrl());
        if (expected == 200)
        {
            var body = await Json.ReadAsync(response);
            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal(3, Skill(body, "A").GetProperty("mastered").GetInt64());
        }
        else
        {
            await Json.ProblemAsync(response, expected);
        }
    }

    [Theory]
    [InlineData("learner 0", 200)]
    [InlineData("educator", 200)]
    [InlineData("analyst", 200)]
    [InlineData("admin", 200)]
    [InlineData("learner 1", 404)]
    [InlineData("other educator", 404)]
    public async Task A_learners_own_figures_are_for_them_their_educators_analysts_and_admins(string actor, int expected)
    {
        var response = await world.Clients[actor].GetAsync($"/api/v1/analytics/learners/{world.Learners[0]}/mastery?frameworkId={world.Framework}");
        if (expected != 200)
        {
            await Json.ProblemAsync(response, expected);
            return;
        }

        var body = await Json.ReadAsync(response);
        Assert.Equal(200, (int)response.StatusCode);
        var skills = body.GetProperty("data").EnumerateArray().ToDictionary(s => s.GetProperty("skillCode").GetString()!);
        // One learner's own figures: never suppressed, though they are one person.
        Assert.Equal("mastered", skills["A"].GetProperty("level").GetString());
        Assert.Equal(0.85, skills["B"].GetProperty("value").GetDouble(), 5);
        Assert.False(skills["B"].GetProperty("mastered").GetBoolean());
    }

    [Fact]
    public async Task A_learner_reads_their_own_figures_under_me()
    {
        var body = await Json.ReadAsync(await world.Clients["learner 1"].GetAsync("/api/v1/analytics/learners/me/mastery"));
        Assert.Equal(world.Learners[1], body.GetProperty("parameters").GetProperty("learnerId").GetGuid());
        var b = body.GetProperty("data").EnumerateArray().Single(s => s.GetProperty("skillCode").GetString() == "B");
        Assert.True(b.GetProperty("mastered").GetBoolean());
    }

    [Fact]
    public async Task Analysts_read_learners_in_analytics_only_not_through_the_learner_facing_endpoints()
    {
        await Json.ProblemAsync(await world.Clients["analyst"].GetAsync($"/api/v1/learners/{world.Learners[0]}/mastery"), 404);
        var analytics = await world.Clients["analyst"].GetAsync($"/api/v1/analytics/learners/{world.Learners[0]}/mastery");
        Assert.Equal(200, (int)analytics.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Csv_has_one_line_per_skill_and_level_formula_safe_cells_and_the_freshness_in_headers(bool byAcceptHeader)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, byAcceptHeader ? CohortUrl() : CohortUrl() + "&format=csv");
        if (byAcceptHeader) request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/csv"));
        var response = await world.Clients["analyst"].SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var asOf = DateTimeOffset.Parse(response.Headers.GetValues("Analytics-As-Of").Single(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(asOf, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal("primary", response.Headers.GetValues("Analytics-Source").Single());
        Assert.StartsWith($"cohort-mastery-{world.Cohort}-", response.Content.Headers.ContentDisposition?.FileName?.Trim('"'));

        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("skill_id,skill_code,skill_title,learners,mastered,level_rank,level,level_learners,suppressed", lines[0]);
        Assert.Contains($"{world.SkillA},A,A,6,3,4,mastered,3,", lines);
        Assert.Contains($"{world.SkillA},A,A,6,3,1,attempted,1,", lines);
        var b = Assert.Single(lines, l => l.StartsWith(world.SkillB.ToString(), StringComparison.Ordinal));
        Assert.Contains(",B,B,2,,,,,\"suppressed: 2 learner(s), fewer than the minimum group size of 5\"", b);
        // A title that would run as a formula is neutralised and quoted.
        Assert.Contains(lines, l => l.Contains(",\"'=HYPERLINK(\"\"x\"\")\",", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_unknown_format_is_a_field_error()
    {
        var problem = await Json.ProblemAsync(await world.Clients["analyst"].GetAsync(CohortUrl() + "&format=pdf"), 400);
        Assert.True(problem.GetProperty("errors").TryGetProperty("/format", out _));
    }

    [Fact]
    public async Task An_analytics_transaction_is_read_only_even_on_the_primary()
    {
        var analytics = new AnalyticsSource(world.App, null, new AnalyticsOptions());
        var admin = new Actor(Guid.CreateVersion7(), ["admin"]);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => analytics.ReadAsync(admin, async (scope, ct) =>
        {
            await using var write = scope.Command("INSERT INTO hephaestus.cohorts (id, name) VALUES (gen_random_uuid(), 'x')");
            return await write.ExecuteNonQueryAsync(ct);
        }, CancellationToken.None));
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);
    }
}
