using Hephaestus.Testing;
using Npgsql;

namespace Hephaestus.Data.Tests.Migrations;

/// <summary>
/// Emails and subjects are unique across users through user_identities (Sql/0033_citus_ready.sql), which follows users:
/// made with the user, changed with their email or subject, deleted with them (and with it every reference to that person
/// is nulled or cascaded, as the foreign keys to users did).
/// </summary>
public sealed class UserIdentitiesTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task A_taken_email_in_any_case_or_a_taken_subject_is_refused_under_the_names_the_service_maps()
    {
        var email = $"taken-{Guid.NewGuid():N}@ids.test";
        await db.CreateUserAsync(email);

        var byEmail = await Assert.ThrowsAsync<PostgresException>(() => InsertAsync(Guid.CreateVersion7(), "other|" + email, email.ToUpperInvariant()));
        Assert.Equal((PostgresErrorCodes.UniqueViolation, "ux_users_email_lower"), (byEmail.SqlState, byEmail.ConstraintName));
        var bySubject = await Assert.ThrowsAsync<PostgresException>(() => InsertAsync(Guid.CreateVersion7(), "test|" + email, "x" + email));
        Assert.Equal((PostgresErrorCodes.UniqueViolation, "ix_users_external_subject"), (bySubject.SqlState, bySubject.ConstraintName));
    }

    [Fact]
    public async Task The_identity_follows_a_changed_email_and_goes_with_an_erased_user_nulling_what_named_them()
    {
        var email = $"moving-{Guid.NewGuid():N}@ids.test";
        var user = await db.CreateUserAsync(email, "author");
        var moved = "moved-" + email;
        await db.ExecuteAsync("UPDATE hephaestus.users SET email = upper($2) WHERE id = $1", user, moved);
        Assert.Equal(moved, await db.ScalarAsync<string>("SELECT email_lower FROM hephaestus.user_identities WHERE id = $1", user));
        await InsertAsync(Guid.CreateVersion7(), "reuse|" + email, email); // the old email is free again

        var import = Guid.CreateVersion7();
        await db.ExecuteAsync("INSERT INTO hephaestus.imports (id, kind, actor_id, lines, counts) VALUES ($1, 'items', $2, 0, '{}')", import, user);
        await db.ExecuteAsync("DELETE FROM hephaestus.users WHERE id = $1", user);

        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.user_identities WHERE id = $1", user));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM hephaestus.imports WHERE id = $1 AND actor_id IS NULL", import));
    }

    Task InsertAsync(Guid id, string subject, string email) => db.ExecuteAsync(
        "INSERT INTO hephaestus.users (id, external_subject, email, display_name, roles) VALUES ($1, $2, $3, 'x', ARRAY['learner'])", id, subject, email);
}
