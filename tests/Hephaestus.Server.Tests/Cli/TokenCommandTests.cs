using Hephaestus.Data.Identity;
using Hephaestus.Server.Cli;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Cli;

/// <summary>The token verb creates users with roles, and never hands roles to an account it matched by email.</summary>
public class TokenCommandTests(TestDatabase db) : IClassFixture<TestDatabase>
{
    [Fact]
    public async Task A_new_email_is_created_with_the_roles_asked_for()
    {
        var email = $"New-{Guid.NewGuid():N}@example.org";
        var account = await Provisioning.EnsureUserAsync(db.Owner, email, ["admin"], CancellationToken.None);

        Assert.True(account.Created);
        Assert.Equal(email.ToLowerInvariant(), account.ExternalSubject);
        Assert.Equal(["admin"], account.Roles);
        Assert.Null(TokenCommand.Refusal(email, account, ["admin"]));
        Assert.Equal(["admin"], (await db.ScalarAsync<string[]>("SELECT roles FROM hephaestus.users WHERE id = $1", account.Id))!);
    }

    [Fact]
    public async Task An_existing_account_keeps_its_subject_and_roles_and_a_role_it_lacks_is_refused()
    {
        var email = $"squat-{Guid.NewGuid():N}@example.org";
        var id = await db.CreateUserAsync(email, "learner");

        var account = await Provisioning.EnsureUserAsync(db.Owner, email.ToUpperInvariant(), ["admin"], CancellationToken.None);

        Assert.False(account.Created);
        Assert.Equal(id, account.Id);
        Assert.Equal("test|" + email, account.ExternalSubject);
        Assert.Equal(["learner"], (await db.ScalarAsync<string[]>("SELECT roles FROM hephaestus.users WHERE id = $1", id))!);
        var refusal = TokenCommand.Refusal(email, account, ["admin"]);
        Assert.NotNull(refusal);
        Assert.Contains($"PATCH /api/v1/users/{id}", refusal, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_existing_account_gets_a_token_for_itself_without_roles_or_with_roles_it_holds()
    {
        var email = $"seeded-{Guid.NewGuid():N}@example.org";
        var id = await db.CreateUserAsync(email, "educator", "author");

        var plain = await Provisioning.EnsureUserAsync(db.Owner, email, [], CancellationToken.None);
        var held = await Provisioning.EnsureUserAsync(db.Owner, email, ["author"], CancellationToken.None);

        Assert.Equal(id, plain.Id);
        Assert.Null(TokenCommand.Refusal(email, plain, []));
        Assert.Null(TokenCommand.Refusal(email, held, ["author"]));
        Assert.Equal(["educator", "author"], (await db.ScalarAsync<string[]>("SELECT roles FROM hephaestus.users WHERE id = $1", id))!);
    }
}
