using Hephaestus.Testing;
using Npgsql;

namespace Hephaestus.Data.Tests.Security;

/// <summary>Raw SQL as the application role: what the policies let through, whatever the service does or forgets.</summary>
public class RowLevelSecurityTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    static async Task<List<Guid>> IdsAsync(ActorScope scope, string sql, params object[] parameters)
    {
        await using var command = scope.Command(sql);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        var ids = new List<Guid>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) ids.Add(reader.GetGuid(0));
        return ids;
    }

    async Task<(Guid Learner, Guid Classmate, Guid Stranger, Guid Educator, Guid OtherEducator)> WorldAsync()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var learner = await db.CreateUserAsync($"l-{tag}@rls.test", "learner");
        var classmate = await db.CreateUserAsync($"c-{tag}@rls.test", "learner");
        var stranger = await db.CreateUserAsync($"s-{tag}@rls.test", "learner");
        var educator = await db.CreateUserAsync($"e-{tag}@rls.test", "educator");
        var otherEducator = await db.CreateUserAsync($"f-{tag}@rls.test", "educator");
        var cohort = Guid.CreateVersion7();
        var otherCohort = Guid.CreateVersion7();
        await db.ExecuteAsync("INSERT INTO hephaestus.cohorts (id, name) VALUES ($1, 'A'), ($2, 'B')", cohort, otherCohort);
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.cohort_members (cohort_id, user_id, member_role) VALUES
              ($1, $3, 'learner'), ($1, $4, 'learner'), ($1, $5, 'educator'), ($2, $6, 'learner'), ($2, $7, 'educator')
            """, cohort, otherCohort, learner, classmate, educator, stranger, otherEducator);
        return (learner, classmate, stranger, educator, otherEducator);
    }

    [Fact]
    public async Task Without_an_actor_every_policy_fails_closed()
    {
        await WorldAsync();
        await using var connection = await db.App.OpenConnectionAsync();
        await using (var count = new NpgsqlCommand("SELECT count(*) FROM hephaestus.users", connection))
        {
            Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
        }

        await using var insert = new NpgsqlCommand(
            "INSERT INTO hephaestus.users (id, external_subject, email, display_name) VALUES (gen_random_uuid(), 'x', 'x@rls.test', 'x')", connection);
        var error = await Assert.ThrowsAsync<PostgresException>(() => insert.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task A_learner_reads_only_their_own_row_even_when_asking_for_another_by_id()
    {
        var w = await WorldAsync();
        await using var scope = await ActorScope.BeginAsync(db.App, new Actor(w.Learner, ["learner"]), default);
        Assert.Equal([w.Learner], await IdsAsync(scope, "SELECT id FROM hephaestus.users"));
        Assert.Empty(await IdsAsync(scope, "SELECT id FROM hephaestus.users WHERE id = $1", w.Classmate));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.users WHERE id = $1", w.Classmate)); // it exists
        await using var update = scope.Command("UPDATE hephaestus.users SET display_name = 'hacked' WHERE id = $1");
        update.Parameters.Add(new NpgsqlParameter { Value = w.Classmate });
        Assert.Equal(0, await update.ExecuteNonQueryAsync());
    }

    [Fact]
    public async Task An_educator_reads_the_learners_of_their_cohorts_and_no_one_else()
    {
        var w = await WorldAsync();
        await using var scope = await ActorScope.BeginAsync(db.App, new Actor(w.Educator, ["educator"]), default);
        var visible = await IdsAsync(scope, "SELECT id FROM hephaestus.users");
        Assert.Equal(new[] { w.Learner, w.Classmate, w.Educator }.Order(), visible.Order());
        Assert.DoesNotContain(w.Stranger, visible);
        // The role claim matters too: the same user acting without the educator role sees only themselves.
        await using var asLearner = await ActorScope.BeginAsync(db.App, new Actor(w.Educator, ["learner"]), default);
        Assert.Equal([w.Educator], await IdsAsync(asLearner, "SELECT id FROM hephaestus.users"));
    }

    [Fact]
    public async Task An_admin_reads_everyone()
    {
        var w = await WorldAsync();
        await using var scope = await ActorScope.BeginAsync(db.App, new Actor(w.OtherEducator, ["admin"]), default);
        var visible = await IdsAsync(scope, "SELECT id FROM hephaestus.users");
        Assert.Equal(await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.users"), visible.Count);
    }

    [Fact]
    public async Task A_learner_cannot_grant_themselves_a_role_even_with_raw_sql()
    {
        var w = await WorldAsync();
        await using var scope = await ActorScope.BeginAsync(db.App, new Actor(w.Learner, ["learner"]), default);
        await using var update = scope.Command("UPDATE hephaestus.users SET roles = ARRAY['admin'] WHERE id = $1");
        update.Parameters.Add(new NpgsqlParameter { Value = w.Learner });
        var error = await Assert.ThrowsAsync<PostgresException>(() => update.ExecuteNonQueryAsync());
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
    }

    [Fact]
    public async Task The_actor_does_not_outlive_its_transaction_on_a_pooled_connection()
    {
        var w = await WorldAsync();
        await using var connection = await db.App.OpenConnectionAsync();
        await using (var transaction = await ActorSession.BeginAsync(connection, new Actor(w.Learner, ["admin"]), default))
        {
            await transaction.CommitAsync();
        }

        await using var after = new NpgsqlCommand("SELECT coalesce(current_setting('hephaestus.user_id', true), ''), count(*) FROM hephaestus.users", connection);
        await using var reader = await after.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal("", reader.GetString(0));
        Assert.Equal(0L, reader.GetInt64(1));
    }

    [Fact]
    public async Task A_forged_actor_that_is_not_a_uuid_fails_instead_of_matching()
    {
        await using var connection = await db.App.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using var command = new NpgsqlCommand(
            "SELECT set_config('hephaestus.user_id', 'anyone', true), set_config('hephaestus.roles', '{learner}', true); SELECT count(*) FROM hephaestus.users",
            connection, transaction);
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteScalarAsync());
        Assert.Equal(PostgresErrorCodes.InvalidTextRepresentation, error.SqlState);
    }

    [Fact]
    public async Task Hot_queries_can_use_their_indexes()
    {
        await using var connection = await db.Owner.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var off = new NpgsqlCommand("SET LOCAL enable_seqscan = off", connection, transaction)) await off.ExecuteNonQueryAsync();
        async Task<string> PlanAsync(string sql)
        {
            await using var explain = new NpgsqlCommand("EXPLAIN " + sql, connection, transaction);
            var lines = new List<string>();
            await using var reader = await explain.ExecuteReaderAsync();
            while (await reader.ReadAsync()) lines.Add(reader.GetString(0));
            return string.Join('\n', lines);
        }

        Assert.Contains("ix_users_profile", await PlanAsync("SELECT id FROM hephaestus.users WHERE profile @> '{\"goals\":[\"algebra\"]}'::jsonb"), StringComparison.Ordinal);
        Assert.Contains("pk_users", await PlanAsync($"SELECT * FROM hephaestus.users WHERE id = '{Guid.NewGuid()}'"), StringComparison.Ordinal);
        Assert.Contains("ix_users_email_lower_lookup", await PlanAsync("SELECT id FROM hephaestus.users WHERE lower(email) = 'a@b.c'"), StringComparison.Ordinal);
    }

    /// <summary>
    /// Analytics read every learner's rows, millions at a time: an analyst's policy test must cost once per statement.
    /// Written as (SELECT …) it is an InitPlan whose result each row only reads; as a plain STABLE call it ran for every
    /// row, after can_read_learner's own tests, and took the mastery rollup at 100,000 learners past the statement
    /// timeout (Sql/0035_analytics_at_size.sql). Whichever policy PostgreSQL evaluates first must start with the cached test.
    /// </summary>
    [Theory]
    [InlineData("users")]
    [InlineData("cohorts")]
    [InlineData("cohort_members")]
    [InlineData("learner_skill_mastery")]
    [InlineData("enrollments")]
    [InlineData("enrollment_overrides")]
    [InlineData("attempts")]
    [InlineData("attempt_responses")]
    [InlineData("results")]
    [InlineData("rubric_assessments")]
    [InlineData("evidence")]
    [InlineData("content_exposures")]
    [InlineData("learning_events")]
    [InlineData("item_analysis_attempts")]
    public async Task An_analysts_read_is_checked_once_per_statement_not_per_row(string table)
    {
        var w = await WorldAsync();
        var analyst = await db.CreateUserAsync($"a-{Guid.NewGuid():N}@rls.test", "analyst");
        await using var connection = await db.App.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var actor = new NpgsqlCommand(
            "SELECT set_config('hephaestus.user_id', $1, true), set_config('hephaestus.roles', '{analyst}', true), " +
            "set_config('hephaestus.operation', 'analytics', true)", connection, transaction))
        {
            actor.Parameters.Add(new NpgsqlParameter { Value = analyst.ToString() });
            await actor.ExecuteNonQueryAsync();
        }

        var plan = new List<string>();
        await using (var explain = new NpgsqlCommand($"EXPLAIN SELECT * FROM hephaestus.{table}", connection, transaction))
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) plan.Add(reader.GetString(0));
        }

        var filter = plan.Select(line => line.Trim()).First(line => line.StartsWith("Filter:", StringComparison.Ordinal));
        Assert.Matches(@"^Filter: \(\$\d+ OR ", filter);
        Assert.Contains(plan, line => line.TrimStart().StartsWith("InitPlan", StringComparison.Ordinal));
        if (table == "users")
        {
            // Still what the policies allow: inside the analytics read the analyst sees a learner they have no other tie to.
            await using var count = new NpgsqlCommand("SELECT count(*) FROM hephaestus.users WHERE id = $1", connection, transaction);
            count.Parameters.Add(new NpgsqlParameter { Value = w.Stranger });
            Assert.Equal(1L, (long)(await count.ExecuteScalarAsync())!);
        }
    }
}
