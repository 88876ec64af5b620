using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Hephaestus.Data;
using Hephaestus.Data.Learning;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Privacy;

/// <summary>
/// The personal data export holds everything stored about a user, what they wrote about others included, and erasure
/// leaves no id of the erased user anywhere while other people's records about them stay.
/// </summary>
public class PersonalDataTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    /// <summary>
    /// A learner in a cohort with an educator, who rated the learner with a rubric and skipped a step of the learner's
    /// path; the learner submitted an author's one-item quiz with an Idempotency-Key.
    /// </summary>
    sealed record World(Guid LearnerId, HttpClient Learner, Guid EducatorId, HttpClient Educator, Guid AuthorId, HttpClient Author, Guid Cohort,
        Guid PathId, Guid EnrollmentId, Guid ItemVersionId, string IdempotencyKey, JsonElement Submitted, Guid RubricAssessmentId);

    const string SkipReason = "Placed out in class";

    async Task<World> WorldAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var tag = Guid.NewGuid().ToString("N")[..8];
        var (learnerId, learner) = await db.UserAsync($"l-{tag}@privacy.test", "learner");
        var (educatorId, educator) = await db.UserAsync($"e-{tag}@privacy.test", "educator");
        var (authorId, author) = await db.UserAsync($"a-{tag}@privacy.test", "author");
        var cohort = await db.CohortAsync(learnerId, educatorId);
        var skill = await Catalog.SkillAsync(db, await Catalog.FrameworkAsync(db, "fw-" + tag), "essay");

        // A quiz the learner submits with an Idempotency-Key.
        var item = await CreatedAsync(await author.PostAsJsonAsync("/api/v1/items", new
        {
            definition = new
            {
                type = "single_choice", prompt = "1/2 + 1/4 = ?", points = 2, correctOptionId = "b",
                options = new[] { new { id = "a", text = "2/6" }, new { id = "b", text = "3/4" } },
            },
            skills = new[] { new { skillId = skill, weight = 1 } },
        }, ct));
        var versionId = item.GetProperty("versionId").GetGuid();
        var quiz = await CreatedAsync(await author.PostAsJsonAsync("/api/v1/assessments",
            new { title = "Quiz", parts = new[] { new { itemId = item.GetProperty("itemId").GetGuid() } }, settings = new { feedback = "full" } }, ct));
        var attempt = await CreatedAsync(await learner.PostAsync($"/api/v1/assessments/{quiz.GetProperty("id").GetGuid()}/attempts", null, ct));
        var key = "submit-" + tag;
        using var submit = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/learners/{learnerId}/attempts/{attempt.GetProperty("id").GetGuid()}/submit")
        {
            Content = JsonContent.Create(new { responses = new Dictionary<Guid, object> { [versionId] = new { optionId = "b" } } }),
        };
        submit.Headers.Add("Idempotency-Key", key);
        var submitted = await CreatedAsync(await learner.SendAsync(submit, ct));

        // A rubric rating by the educator.
        var (rubric, criterion) = await Catalog.RubricAsync(db, skill, 4, 4, 0);
        var rated = await CreatedAsync(await educator.PostAsJsonAsync($"/api/v1/learners/{learnerId}/rubric-assessments",
            new { rubricId = rubric, subject = "essay-" + tag, ratings = new[] { new { criterionId = criterion, points = 4 } } }, ct));

        // A path the learner is enrolled in, one step of which the educator skips.
        var path = await CreatedAsync(await author.PostAsJsonAsync("/api/v1/paths", new { code = "p-" + tag, title = "Path" }, ct));
        var pathId = path.GetProperty("id").GetGuid();
        await PublishAsync(author, pathId, path.GetProperty("versions")[0].GetProperty("id").GetGuid(), ["intro", "practice"]);
        var enrollment = await CreatedAsync(await learner.PostAsJsonAsync($"/api/v1/learners/{learnerId}/enrollments", new { pathId }, ct));
        var enrollmentId = enrollment.GetProperty("id").GetGuid();
        var skipped = await educator.PostAsJsonAsync($"/api/v1/learners/{learnerId}/enrollments/{enrollmentId}/overrides",
            new { kind = "skip", stepKey = "intro", reason = SkipReason }, ct);
        Assert.True(skipped.IsSuccessStatusCode, await skipped.Content.ReadAsStringAsync(ct));

        return new World(learnerId, learner, educatorId, educator, authorId, author, cohort, pathId, enrollmentId, versionId, key, submitted,
            rated.GetProperty("id").GetGuid());
    }

    static async Task<JsonElement> CreatedAsync(HttpResponseMessage response)
    {
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await Json.ReadAsync(response);
    }

    /// <summary>Content steps, each after the one before it, on the draft; then publishes it.</summary>
    static async Task PublishAsync(HttpClient author, Guid pathId, Guid versionId, string[] keys)
    {
        var steps = keys.Select((key, i) => new { key, kind = "content", refId = Catalog.Lesson, title = key, prerequisites = keys[..i].TakeLast(1).ToArray() });
        var put = await author.SendJsonAsync(HttpMethod.Put, $"/api/v1/paths/{pathId}/versions/{versionId}/steps", etag: await author.ETagAsync($"/api/v1/paths/{pathId}/versions/{versionId}"), body: new { steps });
        Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        var publish = await author.PostAsync($"/api/v1/paths/{pathId}/versions/{versionId}/publish", null);
        Assert.True(publish.IsSuccessStatusCode, await publish.Content.ReadAsStringAsync());
    }

    static async Task<JsonElement> ExportAsync(HttpClient client, Guid userId)
    {
        var response = await client.GetAsync($"/api/v1/users/{userId}/export");
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await Json.ReadAsync(response)).GetProperty("sections");
    }

    /// <summary>
    /// Every place in the schema that holds this id: each uuid, uuid[], text, json and jsonb column of every table,
    /// found through information_schema (so a table added later is swept too), as "table.column".
    /// </summary>
    async Task<List<string>> PlacesHoldingAsync(Guid id)
    {
        var columns = new List<(string Table, string Column)>();
        await using (var command = db.Owner.CreateCommand("""
            SELECT c.table_name, c.column_name
            FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
            WHERE c.table_schema = 'hephaestus' AND c.udt_name IN ('uuid', '_uuid', 'text', '_text', 'varchar', 'json', 'jsonb')
            ORDER BY 1, 2
            """))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) columns.Add((reader.GetString(0), reader.GetString(1)));
        }

        Assert.Contains(("rubric_assessments", "assessor_id"), columns);
        var places = new List<string>();
        foreach (var (table, column) in columns)
        {
            var sql = $"SELECT count(*) FROM hephaestus.\"{table}\" WHERE \"{column}\"::text LIKE '%' || $1 || '%'";
            if (await db.ScalarAsync<long>(sql, id.ToString()) > 0) places.Add($"{table}.{column}");
        }

        return places;
    }

    [Fact]
    public async Task A_learners_export_holds_the_stored_submission_response_per_item_scores_item_versions_ratings_and_overrides()
    {
        var w = await WorldAsync();
        var sections = await ExportAsync(w.Learner, w.LearnerId);

        var record = Assert.Single(sections.GetProperty("idempotencyRecords").EnumerateArray());
        Assert.Equal(w.IdempotencyKey, record.GetProperty("key").GetString());
        Assert.Equal(201, record.GetProperty("responseStatus").GetInt32());
        // The body stored for replays, as JSON: the very response the learner got.
        Assert.True(JsonElement.DeepEquals(w.Submitted, record.GetProperty("responseBody")), record.GetProperty("responseBody").GetRawText());

        var attempt = Assert.Single(sections.GetProperty("attempts").EnumerateArray());
        Assert.Equal([w.ItemVersionId], attempt.GetProperty("itemVersionIds").EnumerateArray().Select(v => v.GetGuid()).ToArray());
        var itemScore = Assert.Single(Assert.Single(attempt.GetProperty("results").EnumerateArray()).GetProperty("itemScores").EnumerateArray());
        Assert.Equal(w.ItemVersionId, itemScore.GetProperty("itemVersionId").GetGuid());
        Assert.Equal(1.0, itemScore.GetProperty("score").GetDouble());
        Assert.Equal(2m, itemScore.GetProperty("points").GetDecimal());

        var rating = Assert.Single(sections.GetProperty("rubricAssessments").EnumerateArray());
        Assert.Equal(w.RubricAssessmentId, rating.GetProperty("id").GetGuid());
        Assert.Equal(w.EducatorId, rating.GetProperty("assessorId").GetGuid());
        Assert.False(rating.GetProperty("assessorErased").GetBoolean());
        Assert.Equal(4, rating.GetProperty("ratings")[0].GetProperty("points").GetInt32());

        var overrideEntry = Assert.Single(Assert.Single(sections.GetProperty("enrollments").EnumerateArray()).GetProperty("overrides").EnumerateArray());
        Assert.Equal(SkipReason, overrideEntry.GetProperty("reason").GetString());
        Assert.Equal(w.EducatorId, overrideEntry.GetProperty("actorId").GetGuid());
        Assert.False(overrideEntry.GetProperty("actorErased").GetBoolean());

        // A learner wrote nothing about others.
        Assert.Equal(0, sections.GetProperty("rubricAssessmentsGiven").GetArrayLength());
        Assert.Equal(0, sections.GetProperty("overridesMade").GetArrayLength());
    }

    [Fact]
    public async Task An_educators_export_lists_the_ratings_and_overrides_they_wrote_even_for_learners_they_no_longer_teach()
    {
        var w = await WorldAsync();
        // Row-level security would now hide the learner's rows from the educator; their own writing is still theirs.
        await db.ExecuteAsync("DELETE FROM hephaestus.cohort_members WHERE cohort_id = $1 AND user_id = $2", w.Cohort, w.EducatorId);
        await Json.ProblemAsync(await w.Educator.GetAsync($"/api/v1/learners/{w.LearnerId}/evidence"), 404);

        var sections = await ExportAsync(w.Educator, w.EducatorId);
        var given = Assert.Single(sections.GetProperty("rubricAssessmentsGiven").EnumerateArray());
        Assert.Equal(w.RubricAssessmentId, given.GetProperty("id").GetGuid());
        Assert.Equal(w.LearnerId, given.GetProperty("learnerId").GetGuid());
        Assert.StartsWith("essay-", given.GetProperty("subject").GetString(), StringComparison.Ordinal);
        Assert.Equal(4m, given.GetProperty("points").GetDecimal());
        var made = Assert.Single(sections.GetProperty("overridesMade").EnumerateArray());
        Assert.Equal(w.LearnerId, made.GetProperty("learnerId").GetGuid());
        Assert.Equal(w.EnrollmentId, made.GetProperty("enrollmentId").GetGuid());
        Assert.Equal("skip", made.GetProperty("kind").GetString());
        Assert.Equal("intro", made.GetProperty("stepKey").GetString());
        Assert.Equal(SkipReason, made.GetProperty("reason").GetString());

        // The author's export lists the item version they wrote; nobody else's export does.
        var authored = Assert.Single((await ExportAsync(w.Author, w.AuthorId)).GetProperty("itemVersionsCreated").EnumerateArray());
        Assert.Equal(w.ItemVersionId, authored.GetProperty("id").GetGuid());
        Assert.Equal(0, sections.GetProperty("itemVersionsCreated").GetArrayLength());
    }

    [Fact]
    public async Task The_doors_to_what_someone_wrote_open_only_for_that_person_or_an_admin()
    {
        var w = await WorldAsync();
        async Task<long> CountAsync(Actor actor, string function, Guid subject)
        {
            await using var scope = await ActorScope.BeginAsync(db.App, actor, TestContext.Current.CancellationToken);
            await using var command = scope.Command($"SELECT count(*) FROM hephaestus.{function}($1)");
            command.Parameters.Add(SqlParameters.Uuid(subject));
            return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
        }

        // The learner asking for the educator's writing gets nothing, though the rows are about the learner.
        Assert.Equal(0L, await CountAsync(new Actor(w.LearnerId, ["learner"]), "rubric_assessments_by", w.EducatorId));
        Assert.Equal(0L, await CountAsync(new Actor(w.LearnerId, ["learner"]), "enrollment_overrides_by", w.EducatorId));
        Assert.Equal(0L, await CountAsync(new Actor(w.LearnerId, ["learner"]), "item_versions_by", w.AuthorId));
        Assert.Equal(1L, await CountAsync(new Actor(w.EducatorId, ["educator"]), "rubric_assessments_by", w.EducatorId));
        Assert.Equal(1L, await CountAsync(new Actor(w.LearnerId, ["admin"]), "enrollment_overrides_by", w.EducatorId));
        Assert.Equal(1L, await CountAsync(new Actor(w.AuthorId, ["author"]), "item_versions_by", w.AuthorId));
    }

    [Fact]
    public async Task Erasing_an_educator_keeps_the_learners_record_and_leaves_no_trace_of_the_educators_id()
    {
        var w = await WorldAsync();
        // The sweep finds the educator where they are named today, so finding nothing later means something (their
        // identity row too: the references of other people's records point at it, docs/scale-out.md).
        Assert.Equal(["cohort_members.user_id", "enrollment_overrides.actor_id", "rubric_assessments.assessor_id", "user_identities.id", "users.id"],
            (await PlacesHoldingAsync(w.EducatorId)).Order(StringComparer.Ordinal).ToArray());

        Assert.Equal(HttpStatusCode.NoContent, (await w.Educator.DeleteAsync($"/api/v1/users/{w.EducatorId}")).StatusCode);
        Assert.Empty(await PlacesHoldingAsync(w.EducatorId));

        // The learner's record keeps the rating, its evidence and the override, naming "a user since erased".
        var sections = await ExportAsync(w.Learner, w.LearnerId);
        var rating = Assert.Single(sections.GetProperty("rubricAssessments").EnumerateArray());
        Assert.Equal(w.RubricAssessmentId, rating.GetProperty("id").GetGuid());
        Assert.Equal(JsonValueKind.Null, rating.GetProperty("assessorId").ValueKind);
        Assert.True(rating.GetProperty("assessorErased").GetBoolean());
        Assert.Equal(4, rating.GetProperty("ratings")[0].GetProperty("points").GetInt32());
        Assert.Contains(sections.GetProperty("evidence").EnumerateArray(),
            e => e.GetProperty("source").GetString() == "rubric" && e.GetProperty("rubricAssessmentId").GetGuid() == w.RubricAssessmentId);
        var overrideEntry = Assert.Single(Assert.Single(sections.GetProperty("enrollments").EnumerateArray()).GetProperty("overrides").EnumerateArray());
        Assert.Equal(SkipReason, overrideEntry.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, overrideEntry.GetProperty("actorId").ValueKind);
        Assert.True(overrideEntry.GetProperty("actorErased").GetBoolean());

        // The audit log reads the same through its endpoint; the skip itself still holds.
        var audit = Assert.Single((await Json.ReadAsync(await w.Learner.GetAsync($"/api/v1/learners/{w.LearnerId}/enrollments/{w.EnrollmentId}/overrides"))).EnumerateArray());
        Assert.Equal(JsonValueKind.Null, audit.GetProperty("actorId").ValueKind);
        Assert.True(audit.GetProperty("actorErased").GetBoolean());
        Assert.Equal("skipped", await db.ScalarAsync<string>("""
            SELECT status FROM hephaestus.enrollment_step_states WHERE learner_id = $1 AND enrollment_id = $2 AND step_key = 'intro'
            """, w.LearnerId, w.EnrollmentId));

        // Erasure used the owner's referential action: the application role still may not change the append-only rows.
        Assert.Equal("42501", await db.AppRefusalAsync("UPDATE hephaestus.rubric_assessments SET assessor_id = NULL"));
    }

    [Fact]
    public async Task Erasing_a_learner_leaves_no_row_anywhere_holding_their_id()
    {
        var w = await WorldAsync();
        Assert.Contains("idempotency_keys.learner_id", await PlacesHoldingAsync(w.LearnerId));
        Assert.Equal(HttpStatusCode.NoContent, (await w.Learner.DeleteAsync($"/api/v1/users/{w.LearnerId}")).StatusCode);
        Assert.Empty(await PlacesHoldingAsync(w.LearnerId));
        // The educator and the author lose nothing of their own.
        Assert.Contains("users.id", await PlacesHoldingAsync(w.EducatorId));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.item_versions WHERE id = $1 AND created_by = $2", w.ItemVersionId, w.AuthorId));
    }

    [Fact]
    public async Task Erasing_an_author_keeps_their_item_versions_without_their_id()
    {
        var w = await WorldAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await w.Author.DeleteAsync($"/api/v1/users/{w.AuthorId}")).StatusCode);
        Assert.Empty(await PlacesHoldingAsync(w.AuthorId));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.item_versions WHERE id = $1 AND created_by IS NULL", w.ItemVersionId));
        // The learner's attempt and result on that version stay.
        var attempt = Assert.Single((await ExportAsync(w.Learner, w.LearnerId)).GetProperty("attempts").EnumerateArray());
        Assert.Equal([w.ItemVersionId], attempt.GetProperty("itemVersionIds").EnumerateArray().Select(v => v.GetGuid()).ToArray());
    }

    [Fact]
    public async Task An_operators_override_names_no_user_and_is_not_taken_for_an_erased_one()
    {
        var w = await WorldAsync();
        var draft = await CreatedAsync(await w.Author.PostAsync($"/api/v1/paths/{w.PathId}/versions", null));
        var v2 = draft.GetProperty("id").GetGuid();
        await PublishAsync(w.Author, w.PathId, v2, ["intro", "practice", "review"]);

        // What `hephaestus paths migrate-enrollments` runs: the owner's connection, the operator as actor.
        var run = await new LearnerRecord(new PlanCache()).MigrateEnrollmentsAsync(db.Owner, Actor.Operator, w.PathId, v2, 10, TestContext.Current.CancellationToken);
        Assert.Single(run.Batch!.Migrated);

        var audit = (await Json.ReadAsync(await w.Learner.GetAsync($"/api/v1/learners/{w.LearnerId}/enrollments/{w.EnrollmentId}/overrides"))).EnumerateArray().ToList();
        var migrated = Assert.Single(audit, o => o.GetProperty("kind").GetString() == "migrate");
        Assert.Equal(JsonValueKind.Null, migrated.GetProperty("actorId").ValueKind);
        Assert.False(migrated.GetProperty("actorErased").GetBoolean());
        Assert.Empty(await PlacesHoldingAsync(Guid.Empty));
    }
}
