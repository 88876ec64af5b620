using System.Net.Http.Json;
using System.Text.Json;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Enrollments;

public partial class EnrollmentTests
{
    [Fact]
    public async Task A_cohorts_step_statuses_are_learner_by_step_pages_with_the_same_steps_on_every_page()
    {
        var w = await WorldAsync();
        var (pathId, _) = await PublishedPathAsync(w, Content("intro"), Content("practice", "intro"), Content("quiz", "practice"));
        var enrollment = await EnrollAsync(w.Learner, w.LearnerId, pathId);
        var (second, secondClient) = await LearnerInCohortAsync(w, "grid-b");
        await EnrollAsync(secondClient, second, pathId);
        var (third, thirdClient) = await LearnerInCohortAsync(w, "grid-c");
        await EnrollAsync(thirdClient, third, pathId);
        // A learner of the cohort who is not enrolled has no row.
        await LearnerInCohortAsync(w, "grid-none");
        await w.Educator.PostAsJsonAsync(Url(w.LearnerId, enrollment) + "/overrides", new { kind = "skip", stepKey = "intro", reason = "Knows it" });
        await w.Educator.PostAsJsonAsync(Url(w.LearnerId, enrollment) + "/overrides",
            new { kind = "insert", reason = "Needs a review", step = new { key = "review", kind = "content", refId = Catalog.Lesson, title = "Review", afterStep = "intro" } });

        var url = $"/api/v1/cohorts/{w.Cohort}/paths/{pathId}/step-statuses?limit=2";
        var first = await Json.ReadAsync(await w.Educator.GetAsync(url));
        Assert.Equal("Path", first.GetProperty("pathTitle").GetString());
        string[] columns = ["intro", "practice", "quiz", "review"];
        Assert.Equal(columns, first.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("key").GetString()).ToArray());
        Assert.True(first.GetProperty("steps")[3].GetProperty("inserted").GetBoolean());
        var (rows, pages) = await Json.AllPagesAsync(w.Educator, url);
        Assert.Equal(2, pages);
        Assert.Equal(new[] { w.LearnerId, second, third }.Order(), rows.Select(r => r.GetProperty("learnerId").GetGuid()));

        var own = rows.Single(r => r.GetProperty("learnerId").GetGuid() == w.LearnerId);
        Assert.Equal(["skipped", "available", "locked", "available"], Statuses(own));
        Assert.Equal(1, own.GetProperty("done").GetInt32());
        Assert.Equal(4, own.GetProperty("total").GetInt32());
        // Another learner's enrollment has no "review": a cell without a status, not a guess.
        var other = rows.Single(r => r.GetProperty("learnerId").GetGuid() == second);
        Assert.Equal(["available", "locked", "locked", null], Statuses(other));
        Assert.Equal(3, other.GetProperty("total").GetInt32());

        await Json.ProblemAsync(await w.OtherEducator.GetAsync(url), 404);
        await Json.ProblemAsync(await w.Learner.GetAsync(url), 403);
        await Json.ProblemAsync(await w.Educator.GetAsync($"/api/v1/cohorts/{w.Cohort}/paths/{Guid.NewGuid()}/step-statuses"), 404);
        var limit = await Json.ProblemAsync(await w.Educator.GetAsync($"/api/v1/cohorts/{w.Cohort}/paths/{pathId}/step-statuses?limit=201"), 400);
        Assert.True(limit.GetProperty("errors").TryGetProperty("/limit", out _));
    }

    static string?[] Statuses(JsonElement row) =>
        [.. row.GetProperty("cells").EnumerateArray().Select(c => c.GetProperty("status").ValueKind == JsonValueKind.Null ? null : c.GetProperty("status").GetString())];
}
