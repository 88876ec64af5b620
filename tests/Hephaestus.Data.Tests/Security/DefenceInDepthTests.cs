using Hephaestus.Testing;
using Npgsql;

namespace Hephaestus.Data.Tests.Security;

/// <summary>
/// Raw SQL as the application role with a learner actor, as a stray or injected statement in an ordinary code path
/// would run it: answer keys stay unreadable, learner state unwritable outside the operations that own it, an email
/// unchangeable without an admin, and no other role of the server runs our functions or connects.
/// </summary>
public class DefenceInDepthTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    const string Key = "\"correctOptionId\"";

    sealed record World(Guid Learner, Guid Author, Guid Skill, Guid ItemVersion, Guid Attempt, Guid Result, Guid Enrollment, Guid Path, Guid PathVersion);

    /// <summary>A learner with mastery, an enrollment, a submitted attempt and its result, arranged as the owner.</summary>
    async Task<World> WorldAsync()
    {
        var tag = Guid.NewGuid().ToString("N")[..8];
        var learner = await db.CreateUserAsync($"l-{tag}@did.test", "learner");
        var author = await db.CreateUserAsync($"a-{tag}@did.test", "author");
        var skill = await Catalog.SkillAsync(db, await Catalog.FrameworkAsync(db, "f" + tag), "s" + tag);
        var (item, itemVersion, assessment, attempt, result) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        await db.ExecuteAsync("INSERT INTO hephaestus.items (id) VALUES ($1)", item);
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.item_versions (id, item_id, version, type, definition, points)
            VALUES ($1, $2, 1, 'single_choice', '{"type":"single_choice","prompt":"2+2?","points":1,"options":[{"id":"a","text":"4"},{"id":"b","text":"5"}],"correctOptionId":"a"}', 1)
            """, itemVersion, item);
        await db.ExecuteAsync("INSERT INTO hephaestus.assessments (id, title) VALUES ($1, 'Quiz')", assessment);
        await db.ExecuteAsync("INSERT INTO hephaestus.assessment_versions (assessment_id, version, settings) SELECT id, version, settings FROM hephaestus.assessments WHERE id = $1", assessment);
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.attempts (learner_id, id, assessment_id, number, item_version_ids) VALUES ($1, $2, $3, 1, $4)
            """, learner, attempt, assessment, new[] { itemVersion });
        await db.ExecuteAsync("""
            INSERT INTO hephaestus.results (learner_id, id, attempt_id, revision, score, points, max_points, item_scores, reason)
            VALUES ($1, $2, $3, 1, 0, 0, 1, '[]', 'submitted')
            """, learner, result, attempt);
        await db.ExecuteAsync("INSERT INTO hephaestus.learner_skill_mastery (learner_id, skill_id, value) VALUES ($1, $2, 0.2)", learner, skill);
        var (path, version, enrollment) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        await db.ExecuteAsync("INSERT INTO hephaestus.learning_paths (id, code, title) VALUES ($1, $2, 'Path')", path, "p" + tag);
        await db.ExecuteAsync("INSERT INTO hephaestus.path_versions (id, path_id, version, status, published_at) VALUES ($1, $2, 1, 'published', now())", version, path);
        await db.ExecuteAsync("INSERT INTO hephaestus.enrollments (learner_id, id, path_id, path_version_id) VALUES ($1, $2, $3, $4)", learner, enrollment, path, version);
        return new World(learner, author, skill, itemVersion, attempt, result, enrollment, path, version);
    }

    static async Task<int> ExecuteAsync(ActorScope scope, string sql, params object[] parameters)
    {
        await using var command = scope.Command(sql);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        return await command.ExecuteNonQueryAsync();
    }

    static async Task<List<string>> DefinitionsAsync(ActorScope scope, string sql, params object[] parameters)
    {
        await using var command = scope.Command(sql);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        return rows;
    }

    /// <summary>Runs <paramref name="sql"/> as the learner in an ordinary scope and returns the SQLSTATE it failed with.</summary>
    async Task<string> RefusedAsync(World w, string sql, params object[] parameters)
    {
        await using var scope = await ActorScope.BeginAsync(db.App, new Actor(w.Learner, ["learner"]), default);
        var error = await Assert.ThrowsAsync<PostgresException>(() => ExecuteAsync(scope, sql, parameters));
        return error.SqlState;
    }

    [Fact]
    public async Task A_learner_cannot_read_answer_keys_with_raw_sql()
    {
        var w = await WorldAsync();
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await RefusedAsync(w, "SELECT definition FROM hephaestus.item_versions"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await RefusedAsync(w, "SELECT * FROM hephaestus.item_versions WHERE id = $1", w.ItemVersion));

        await using var scope = await ActorScope.BeginAsync(db.App, new Actor(w.Learner, ["learner"]), default);
        // The columns without the key stay readable (drawing items), and neither door opens for an ordinary learner scope.
        Assert.Equal(["single_choice"], await DefinitionsAsync(scope, "SELECT type FROM hephaestus.item_versions WHERE id = $1", w.ItemVersion));
        Assert.Empty(await DefinitionsAsync(scope, "SELECT definition::text FROM hephaestus.item_definitions($1)", new[] { w.ItemVersion }));
        Assert.Empty(await DefinitionsAsync(scope, "SELECT definition::text FROM hephaestus.attempt_item_definitions($1, $2)", w.Learner, w.Attempt));
    }

    [Fact]
    public async Task Keys_reach_authors_and_the_attempts_own_operation_only()
    {
        var w = await WorldAsync();
        await using (var author = await ActorScope.BeginAsync(db.App, new Actor(w.Author, ["author"]), default))
        {
            Assert.Contains(Key, Assert.Single(await DefinitionsAsync(author, "SELECT definition::text FROM hephaestus.item_definitions($1)", new[] { w.ItemVersion })), StringComparison.Ordinal);
        }

        await using (var attempt = await ActorScope.BeginLearnerRecordAsync(db.App, new Actor(w.Learner, ["learner"]), default))
        {
            Assert.Contains(Key, Assert.Single(await DefinitionsAsync(attempt, "SELECT definition::text FROM hephaestus.attempt_item_definitions($1, $2)", w.Learner, w.Attempt)), StringComparison.Ordinal);
        }

        // Even in that operation, another learner's attempt gives nothing.
        var stranger = await db.CreateUserAsync($"x-{Guid.NewGuid():N}@did.test", "learner");
        await using var other = await ActorScope.BeginLearnerRecordAsync(db.App, new Actor(stranger, ["learner"]), default);
        Assert.Empty(await DefinitionsAsync(other, "SELECT definition::text FROM hephaestus.attempt_item_definitions($1, $2)", w.Learner, w.Attempt));
    }

    [Fact]
    public async Task A_learner_cannot_update_their_own_mastery_attempts_or_enrollments_with_raw_sql()
    {
        var w = await WorldAsync();
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await RefusedAsync(w,
            "UPDATE hephaestus.learner_skill_mastery SET value = 1, mastered = true WHERE learner_id = $1", w.Learner));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await RefusedAsync(w,
            "UPDATE hephaestus.attempts SET status = 'in_progress', submitted_at = NULL WHERE learner_id = $1", w.Learner));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await RefusedAsync(w,
            "UPDATE hephaestus.enrollments SET status = 'completed', completed_at = now() WHERE learner_id = $1", w.Learner));
        Assert.Equal(0.2m, await db.ScalarAsync<decimal>("SELECT value FROM hephaestus.learner_skill_mastery WHERE learner_id = $1", w.Learner));
        Assert.Equal("active", await db.ScalarAsync<string>("SELECT status FROM hephaestus.enrollments WHERE learner_id = $1", w.Learner));
    }

    [Fact]
    public async Task A_learner_cannot_insert_results_or_evidence_with_raw_sql()
    {
        var w = await WorldAsync();
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await RefusedAsync(w, """
            INSERT INTO hephaestus.results (learner_id, id, attempt_id, revision, score, points, max_points, item_scores, reason)
            VALUES ($1, gen_random_uuid(), $2, 2, 1, 1, 1, '[]', 'regraded')
            """, w.Learner, w.Attempt));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await RefusedAsync(w, """
            INSERT INTO hephaestus.evidence (learner_id, id, skill_id, score, observed_at, source, skill_seq)
            VALUES ($1, gen_random_uuid(), $2, 1, now(), 'event', 1)
            """, w.Learner, w.Skill));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.evidence WHERE learner_id = $1", w.Learner));
    }

    [Fact]
    public async Task The_owning_operations_mark_lets_the_same_writes_through()
    {
        // The control for the refusals above: the very statements pass once the transaction carries the learner record's mark.
        var w = await WorldAsync();
        await using var scope = await ActorScope.BeginLearnerRecordAsync(db.App, new Actor(w.Learner, ["learner"]), default);
        Assert.Equal(1, await ExecuteAsync(scope, "UPDATE hephaestus.learner_skill_mastery SET value = 1, mastered = true WHERE learner_id = $1", w.Learner));
        Assert.Equal(1, await ExecuteAsync(scope, """
            INSERT INTO hephaestus.evidence (learner_id, id, skill_id, score, observed_at, source, skill_seq)
            VALUES ($1, gen_random_uuid(), $2, 1, now(), 'event', 1)
            """, w.Learner, w.Skill));
        // The mark is the transaction's: a later ordinary transaction on a pooled connection does not inherit it.
        await scope.CommitAsync(default);
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await RefusedAsync(w,
            "UPDATE hephaestus.learner_skill_mastery SET value = 0 WHERE learner_id = $1", w.Learner));
    }

    [Fact]
    public async Task The_database_refuses_an_email_change_by_anyone_but_an_admin()
    {
        var w = await WorldAsync();
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, await RefusedAsync(w,
            "UPDATE hephaestus.users SET email = 'taken-over@did.test' WHERE id = $1", w.Learner));
        // Other columns of one's own row still change; an admin changes the email.
        await using (var own = await ActorScope.BeginAsync(db.App, new Actor(w.Learner, ["learner"]), default))
        {
            Assert.Equal(1, await ExecuteAsync(own, "UPDATE hephaestus.users SET display_name = 'Renamed', email = email WHERE id = $1", w.Learner));
            await own.CommitAsync(default);
        }

        var renamed = $"renamed-{Guid.NewGuid():N}@did.test";
        await using (var admin = await ActorScope.BeginAsync(db.App, new Actor(w.Author, ["admin"]), default))
        {
            Assert.Equal(1, await ExecuteAsync(admin, "UPDATE hephaestus.users SET email = $2 WHERE id = $1", w.Learner, renamed));
            await admin.CommitAsync(default);
        }

        Assert.Equal(renamed, await db.ScalarAsync<string>("SELECT email FROM hephaestus.users WHERE id = $1", w.Learner));
    }

    [Fact]
    public async Task Another_role_of_the_server_can_neither_run_our_functions_nor_connect()
    {
        var fresh = "fresh_" + Guid.NewGuid().ToString("N")[..10];
        await using var superuser = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db.Cluster.SuperuserConnectionString) { Database = db.Name, Pooling = false }.ConnectionString);
        await superuser.OpenAsync();
        await using (var create = new NpgsqlCommand($"CREATE ROLE {fresh} NOLOGIN", superuser)) await create.ExecuteNonQueryAsync();
        try
        {
            await using var check = new NpgsqlCommand($"""
                SELECT (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'hephaestus'::regnamespace),
                       (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'hephaestus'::regnamespace AND has_function_privilege('{fresh}', p.oid, 'EXECUTE')),
                       has_database_privilege('{fresh}', current_database(), 'CONNECT'),
                       has_database_privilege('{fresh}', current_database(), 'TEMPORARY'),
                       has_database_privilege('hephaestus', current_database(), 'CONNECT'),
                       has_function_privilege('hephaestus', 'hephaestus.can_read_learner(uuid)', 'EXECUTE')
                """, superuser);
            await using var reader = await check.ExecuteReaderAsync();
            await reader.ReadAsync();
            Assert.True(reader.GetInt64(0) > 20, "the check must see our functions");
            Assert.Equal(0L, reader.GetInt64(1));
            Assert.False(reader.GetBoolean(2));
            Assert.False(reader.GetBoolean(3));
            Assert.True(reader.GetBoolean(4));
            Assert.True(reader.GetBoolean(5));
        }
        finally
        {
            await using var drop = new NpgsqlCommand($"DROP ROLE {fresh}", superuser);
            await drop.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task A_function_created_later_by_the_owner_is_not_public()
    {
        var name = "later_" + Guid.NewGuid().ToString("N")[..10];
        await db.ExecuteAsync($"CREATE FUNCTION hephaestus.{name}() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$");
        try
        {
            Assert.False(await db.ScalarAsync<bool>($"SELECT has_function_privilege('public', 'hephaestus.{name}()', 'EXECUTE')"));
        }
        finally
        {
            await db.ExecuteAsync($"DROP FUNCTION hephaestus.{name}()");
        }
    }
}
