using Hephaestus.Data.Learning;
using Hephaestus.Testing;
using Npgsql;

namespace Hephaestus.Data.Tests.Learning;

/// <summary>
/// Issue 13: two statements of every submission were planned afresh on every call (a filter a generic plan cannot use:
/// "$1 IS NULL OR learner_id = $1" inside item_analysis_counted, "= ANY ($1)" in the attempt scores), and planning cost
/// more than executing the rest of the submission. Prepared as the service prepares them, run as the learner record
/// runs them, each must settle on PostgreSQL's cached generic plan.
/// </summary>
public class SubmissionPlanTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    async Task<(Guid Learner, Guid Assessment)> SubmittedAttemptAsync()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var learner = await db.CreateUserAsync($"l-{tag}@plans.test", "learner");
        var (item, itemVersion, assessment, attempt, result) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        await db.ExecuteAsync("INSERT INTO hephaestus.items (id) VALUES ($1)", item);
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.item_versions (id, item_id, version, type, definition, points)
            VALUES ($1, $2, 1, 'single_choice', '{"type":"single_choice","prompt":"2+2?","points":1,"options":[{"id":"a","text":"4"},{"id":"b","text":"5"}],"correctOptionId":"a"}', 1)
            """, itemVersion, item);
        await db.ExecuteAsync("INSERT INTO hephaestus.assessments (id, title) VALUES ($1, 'Quiz')", assessment);
        await db.ExecuteAsync("INSERT INTO hephaestus.assessment_versions (assessment_id, version, settings) SELECT id, version, settings FROM hephaestus.assessments WHERE id = $1", assessment);
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.attempts (learner_id, id, assessment_id, number, item_version_ids, status, submitted_at) VALUES ($1, $2, $3, 1, $4, 'submitted', now())
            """, learner, attempt, assessment, new[] { itemVersion });
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.results (learner_id, id, attempt_id, revision, score, points, max_points, item_scores, reason)
            VALUES ($1, $2, $3, 1, 1, 1, 1, jsonb_build_array(jsonb_build_object('itemVersionId', $4::uuid, 'points', 1)), 'submitted')
            """, learner, result, attempt, itemVersion);
        return (learner, assessment);
    }

    public static TheoryData<string> Statements => ["item analysis refresh", "attempt scores"];

    static string Sql(string statement) => statement switch
    {
        "item analysis refresh" => ItemAnalysisContributions.Refresh,
        "attempt scores" => AttemptScores.Sql,
        _ => throw new ArgumentOutOfRangeException(nameof(statement)),
    };

    [Theory]
    [MemberData(nameof(Statements))]
    public async Task A_submission_statement_keeps_a_generic_plan(string statement)
    {
        var (learner, assessment) = await SubmittedAttemptAsync();
        await using var scope = await ActorScope.BeginLearnerRecordAsync(db.App, new Actor(learner, ["learner"]), default);
        var sql = Sql(statement);
        await using var command = scope.Command(sql);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = learner });
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = assessment });
        await command.PrepareAsync();
        // PostgreSQL plans the first five executions for their values, then keeps the generic plan unless it looks dearer.
        var rows = 0;
        for (var run = 0; run < 8; run++)
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync()) rows++;
        }

        long generic, custom;
        await using (var plans = scope.Command("SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1"))
        {
            plans.Parameters.Add(new NpgsqlParameter<string> { TypedValue = sql });
            await using var counts = await plans.ExecuteReaderAsync();
            Assert.True(await counts.ReadAsync(), "the statement was not prepared on the server");
            (generic, custom) = (counts.GetInt64(0), counts.GetInt64(1));
        }

        Assert.True(generic >= 3, $"{statement}: {generic} generic and {custom} custom plans in 8 executions");
        // The statements did their work: the attempt scores found the learner's result on every run; the refresh counted
        // the attempt once (first run) and left it alone after.
        if (statement == "attempt scores") Assert.Equal(8, rows);
        await using var counted = scope.Command("SELECT count(*) FROM hephaestus.item_analysis_attempts WHERE learner_id = $1 AND assessment_id = $2");
        counted.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = learner });
        counted.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = assessment });
        Assert.Equal(statement == "item analysis refresh" ? 1L : 0L, (long)(await counted.ExecuteScalarAsync())!);
    }
}
