using System.Net;
using System.Text.Json;
using Hephaestus.Server.Tests.ContentReview;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Analytics;

/// <summary>
/// A content item aligned to skill E (mastery method "latest": the value is the latest score, mastered at 0.75), with
/// versions 1 and 2. Learners 0–5 were first shown version 1 thirty days ago, learners 6–11 version 2; learner 12 was shown
/// version 2 three days ago (window not over: shown, not measured); learner 0 was shown version 2 later too (still counted
/// under version 1 only). Mastery change = latest score by exposure + 14 days minus latest score at exposure:
/// version 1: learners 0–4 from 0.2 to 0.3, 0.4, 0.5, 0.6, 0.4; learner 5 had no evidence before (0) and 0.3 after;
/// learner 0 also scored 1.0 twenty days after exposure (outside the window). Changes 0.1, 0.2, 0.3, 0.4, 0.2, 0.3.
/// version 2: learners 6–11 from 0.1 to 0.6, 0.7, 0.8, 0.9, 0.7, 0.8: changes 0.5, 0.6, 0.7, 0.8, 0.6, 0.7.
/// The educator's cohort holds learners 0–7 (version 1: six measured; version 2: two, suppressed).
/// </summary>
public sealed class ContentEffectivenessWorld : ApiDatabase
{
    public Guid Item { get; private set; }
    public Guid Version1 { get; private set; }
    public Guid Version2 { get; private set; }
    public Guid Cohort { get; private set; }
    public Guid Unaligned { get; private set; }
    public Dictionary<string, HttpClient> Clients { get; } = [];

    public override async ValueTask InitializeAsync()
    {
        await base.InitializeAsync();
        var framework = await Catalog.FrameworkAsync(this, "effect");
        var skill = await Catalog.SkillAsync(this, framework, "E");
        await ExecuteAsync("UPDATE hephaestus.skills SET mastery_method = 'latest' WHERE id = $1", skill);
        Item = await ContentRows.ItemAsync(this);
        Version1 = await ContentRows.VersionAsync(this, Item, null, "retired");
        Version2 = await ContentRows.VersionAsync(this, Item, null, "published");
        await ExecuteAsync("INSERT INTO hephaestus.content_item_skills (content_item_id, skill_id) VALUES ($1, $2)", Item, skill);
        Unaligned = await ContentRows.ItemAsync(this);
        await ContentRows.VersionAsync(this, Unaligned, null, "published");

        Guid educator;
        (educator, Clients["educator"]) = await UserAsync("e@effect.test", "educator");
        (_, Clients["other educator"]) = await UserAsync("f@effect.test", "educator");
        (_, Clients["analyst"]) = await UserAsync("n@effect.test", "analyst");
        (_, Clients["admin"]) = await UserAsync("root@effect.test", "admin");
        var learners = new List<Guid>();
        for (var i = 0; i < 13; i++)
        {
            var (id, client) = await UserAsync($"l{i}@effect.test", "learner");
            learners.Add(id);
            if (i == 0) Clients["learner"] = client;
        }

        Cohort = await CohortAsync(learners[0], educator);
        for (var i = 1; i < 8; i++) await ExecuteAsync("INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES ($1, $2, 'learner')", Cohort, learners[i]);

        double[] after1 = [0.3, 0.4, 0.5, 0.6, 0.4, 0.3];
        for (var i = 0; i < 6; i++)
        {
            await ShowAsync(learners[i], Version1, -30);
            var log = new List<(double Score, double Days)>();
            if (i < 5) log.Add((0.2, -31));
            log.Add((after1[i], -25));
            if (i == 0) log.Add((1.0, -10));
            await EvidenceAsync(learners[i], skill, log);
        }

        await ShowAsync(learners[0], Version2, -29);
        double[] after2 = [0.6, 0.7, 0.8, 0.9, 0.7, 0.8];
        for (var i = 0; i < 6; i++)
        {
            await ShowAsync(learners[6 + i], Version2, -30);
            await EvidenceAsync(learners[6 + i], skill, [(0.1, -32), (after2[i], -20)]);
        }

        await ShowAsync(learners[12], Version2, -3);
        await EvidenceAsync(learners[12], skill, [(0.9, -1)]);
    }

    Task ShowAsync(Guid learner, Guid version, int days) => ExecuteAsync(
        "INSERT INTO hephaestus.content_exposures (learner_id, id, content_version_id, shown_at) VALUES ($1, $2, $3, now() + make_interval(days => $4))",
        learner, Guid.CreateVersion7(), version, days);

    async Task EvidenceAsync(Guid learner, Guid skill, IReadOnlyList<(double Score, double Days)> log)
    {
        for (var i = 0; i < log.Count; i++)
        {
            await ExecuteAsync("""
                INSERT INTO hephaestus.evidence (learner_id, id, skill_id, score, observed_at, source, skill_seq)
                VALUES ($1, $2, $3, $4::numeric, now() + make_interval(days => $5::int), 'event', $6)
                """, learner, Guid.CreateVersion7(), skill, log[i].Score, (int)log[i].Days, i + 1);
        }
    }
}

public class ContentEffectivenessTests(ContentEffectivenessWorld world) : IClassFixture<ContentEffectivenessWorld>
{
    string Url(string tail = "") => $"/api/v1/analytics/content/items/{world.Item}/effectiveness{tail}";

    static JsonElement Version(JsonElement data, int version) =>
        data.GetProperty("versions").EnumerateArray().Single(v => v.GetProperty("version").GetInt32() == version);

    [Fact]
    public async Task Each_version_shows_its_learners_and_mean_change_and_the_difference_has_welchs_interval()
    {
        var response = await world.Clients["analyst"].GetAsync(Url());
        var body = await Json.ReadAsync(response);
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        Assert.Equal(14, body.GetProperty("parameters").GetProperty("window").GetInt32());
        var data = body.GetProperty("data");

        var v1 = Version(data, 1);
        Assert.Equal(6, v1.GetProperty("learnersShown").GetInt64());
        Assert.Equal(6, v1.GetProperty("learnersMeasured").GetInt64());
        Assert.Equal(0.25, v1.GetProperty("meanChange").GetDouble(), 9);
        Assert.Equal(Math.Sqrt(0.011), v1.GetProperty("standardDeviation").GetDouble(), 9); // Σ(d − 0.25)² = 0.055, ÷ 5
        var v2 = Version(data, 2);
        Assert.Equal(7, v2.GetProperty("learnersShown").GetInt64());
        Assert.Equal(6, v2.GetProperty("learnersMeasured").GetInt64());
        Assert.Equal(0.65, v2.GetProperty("meanChange").GetDouble(), 9);

        // Equal variances 0.011 and sizes 6: SE = √(2 · 0.011/6) = 0.0605530, ν = 10 exactly, t₀.₉₇₅,₁₀ = 2.2281389 (the table's).
        var difference = Assert.Single(data.GetProperty("differences").EnumerateArray());
        Assert.Equal(0.4, difference.GetProperty("difference").GetDouble(), 9);
        Assert.Equal(0.0605530071, difference.GetProperty("standardError").GetDouble(), 9);
        Assert.Equal(10, difference.GetProperty("degreesOfFreedom").GetDouble(), 9);
        Assert.Equal(2.2281389, difference.GetProperty("tQuantile").GetDouble(), 6);
        Assert.Equal(0.4 - 0.13492051, difference.GetProperty("lower").GetDouble(), 6);
        Assert.Equal(0.4 + 0.13492051, difference.GetProperty("upper").GetDouble(), 6);
        Assert.False(difference.GetProperty("containsZero").GetBoolean());
    }

    [Fact]
    public async Task A_window_that_reaches_later_evidence_changes_the_figures()
    {
        // 25 days: learner 0's 1.0 (20 days after exposure) now counts: change 0.8 instead of 0.1, mean (0.8+0.2+0.3+0.4+0.2+0.3)/6.
        var body = await Json.ReadAsync(await world.Clients["admin"].GetAsync(Url("?window=25")));
        Assert.Equal(2.2 / 6, Version(body.GetProperty("data"), 1).GetProperty("meanChange").GetDouble(), 9);
    }

    [Fact]
    public async Task The_recommendation_keeps_the_better_version_only_with_enough_learners()
    {
        var keep = await Json.ReadAsync(await world.Clients["analyst"].GetAsync(Url("/recommendation?minimumLearners=5")));
        var data = keep.GetProperty("data");
        Assert.Equal("keep", data.GetProperty("verdict").GetString());
        Assert.Equal(world.Version2, data.GetProperty("keepVersionId").GetGuid());
        Assert.Equal(2, data.GetProperty("keepVersion").GetInt32());

        var few = await Json.ReadAsync(await world.Clients["analyst"].GetAsync(Url("/recommendation")));
        Assert.Equal("not_enough_evidence", few.GetProperty("data").GetProperty("verdict").GetString());
        Assert.Contains("20 learners each", few.GetProperty("data").GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, few.GetProperty("data").GetProperty("keepVersionId").ValueKind);
    }

    [Fact]
    public async Task An_educator_sees_their_cohort_with_small_groups_suppressed()
    {
        var response = await world.Clients["educator"].GetAsync(Url($"?cohortId={world.Cohort}"));
        var body = await Json.ReadAsync(response);
        Assert.True(response.IsSuccessStatusCode, body.ToString());
        var data = body.GetProperty("data");
        Assert.Equal(0.25, Version(data, 1).GetProperty("meanChange").GetDouble(), 9);
        var v2 = Version(data, 2);
        Assert.Equal(2, v2.GetProperty("learnersMeasured").GetInt64());
        Assert.Equal(JsonValueKind.Null, v2.GetProperty("meanChange").ValueKind);
        Assert.Contains("fewer than the minimum group size of 5", v2.GetProperty("suppressed").GetString());
        var difference = Assert.Single(data.GetProperty("differences").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, difference.GetProperty("lower").ValueKind);

        var advice = await Json.ReadAsync(await world.Clients["educator"].GetAsync(Url($"/recommendation?cohortId={world.Cohort}&minimumLearners=2")));
        Assert.Equal("not_enough_evidence", advice.GetProperty("data").GetProperty("verdict").GetString());
    }

    [Theory]
    [InlineData("analyst", "", HttpStatusCode.OK)]
    [InlineData("admin", "", HttpStatusCode.OK)]
    [InlineData("educator", "", HttpStatusCode.Forbidden)]
    [InlineData("educator", "cohort", HttpStatusCode.OK)]
    [InlineData("other educator", "cohort", HttpStatusCode.NotFound)]
    [InlineData("learner", "cohort", HttpStatusCode.Forbidden)]
    public async Task Access_per_role(string who, string query, HttpStatusCode expected)
    {
        var suffix = query == "cohort" ? $"?cohortId={world.Cohort}" : "";
        Assert.Equal(expected, (await world.Clients[who].GetAsync(Url(suffix))).StatusCode);
        Assert.Equal(expected, (await world.Clients[who].GetAsync(Url("/recommendation" + suffix))).StatusCode);
    }

    [Fact]
    public async Task An_unknown_item_is_a_404_and_an_unaligned_item_says_why_nothing_is_measured()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await world.Clients["analyst"].GetAsync($"/api/v1/analytics/content/items/{Guid.NewGuid()}/effectiveness")).StatusCode);
        var body = await Json.ReadAsync(await world.Clients["analyst"].GetAsync($"/api/v1/analytics/content/items/{world.Unaligned}/effectiveness"));
        Assert.Contains("aligned to no skill", body.GetProperty("data").GetProperty("note").GetString());
    }

    [Theory]
    [InlineData("?window=0", "/window")]
    [InlineData("?window=366", "/window")]
    [InlineData("/recommendation?minimumLearners=1", "/minimumLearners")]
    [InlineData("?format=xml", "/format")]
    public async Task Bad_parameters_are_400_naming_the_field(string tail, string field)
    {
        var response = await world.Clients["analyst"].GetAsync(Url(tail));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await Json.ReadAsync(response)).GetProperty("errors").TryGetProperty(field, out _));
    }

    [Fact]
    public async Task Csv_has_a_row_per_version_and_per_difference()
    {
        var response = await world.Clients["analyst"].GetAsync(Url("?format=csv"));
        Assert.Equal("text/csv", response.Content.Headers.ContentType?.MediaType);
        var lines = (await response.Content.ReadAsStringAsync()).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("row,version_id,version,status,learners_shown", lines[0]);
        Assert.Equal(4, lines.Length);
        Assert.StartsWith($"version,{world.Version1},1,retired,6,6,0.25,", lines[1]);
        Assert.StartsWith($"difference,{world.Version1},1,", lines[3]);
        Assert.Contains("window=14", response.Headers.GetValues("Analytics-Parameters").Single());

        var advice = await (await world.Clients["analyst"].GetAsync(Url("/recommendation?minimumLearners=5&format=csv"))).Content.ReadAsStringAsync();
        Assert.StartsWith("verdict,keep_version_id,keep_version,reason", advice);
        Assert.Contains($"keep,{world.Version2},2,", advice);
    }
}
