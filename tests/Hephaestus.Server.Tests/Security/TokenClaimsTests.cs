using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Claims;
using Hephaestus.Server.Auth;
using Hephaestus.Testing;

namespace Hephaestus.Server.Tests.Security;

/// <summary>
/// A token says who (its subject) and nothing else: user id and roles come from the database, whatever other claims a
/// validly signed token carries.
/// </summary>
public class TokenClaimsTests(ApiDatabase db) : IClassFixture<ApiDatabase>
{
    public static TheoryData<string> RoleClaimTypes() => [ClaimTypes.Role, "role", "roles"];

    HttpClient ClientWith(string subject, params Claim[] claims)
    {
        var token = TokenIssuer.Issue(Convert.FromBase64String(TestDatabase.SigningKeyBase64), subject, TimeSpan.FromHours(1), claims: claims);
        var client = db.Api.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    [Theory]
    [MemberData(nameof(RoleClaimTypes))]
    public async Task A_learner_token_carrying_an_admin_role_claim_stays_a_learner(string claimType)
    {
        var email = $"claims-{Guid.NewGuid():N}@example.org";
        var id = await db.CreateUserAsync(email, "learner");
        await db.CreateUserAsync($"other-{Guid.NewGuid():N}@example.org", "learner");
        var client = ClientWith("test|" + email, new Claim(claimType, "admin"));

        var create = await client.PostAsJsonAsync("/api/v1/users", new { externalSubject = $"new|{Guid.NewGuid()}", email = $"{Guid.NewGuid():N}@example.org", displayName = "New" });
        var problem = await Json.ProblemAsync(create, 403);
        Assert.Contains("admin", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var listing = await Json.ReadAsync(await client.GetAsync("/api/v1/users?limit=500"));
        var seen = listing.GetProperty("items").EnumerateArray().Select(u => u.GetProperty("id").GetGuid()).ToList();
        Assert.Equal([id], seen);
    }

    [Fact]
    public async Task A_token_carrying_another_users_id_acts_as_its_own_subject()
    {
        var email = $"self-{Guid.NewGuid():N}@example.org";
        var id = await db.CreateUserAsync(email, "learner");
        var victim = await db.CreateUserAsync($"victim-{Guid.NewGuid():N}@example.org", "admin");
        var client = ClientWith("test|" + email, new Claim(AuthHosting.UserIdClaim, victim.ToString()), new Claim(ClaimTypes.Role, "admin"));

        var me = await Json.ReadAsync(await client.GetAsync("/api/v1/users/me"));
        Assert.Equal(id, me.GetProperty("id").GetGuid());
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/users/{victim}")).StatusCode);
    }

    [Fact]
    public async Task An_unknown_subject_carrying_a_user_id_claim_is_refused()
    {
        var victim = await db.CreateUserAsync($"victim-{Guid.NewGuid():N}@example.org", "admin");
        var client = ClientWith($"test|nobody-{Guid.NewGuid():N}@example.org",
            new Claim(AuthHosting.UserIdClaim, victim.ToString()), new Claim(ClaimTypes.Role, "admin"));

        await Json.ProblemAsync(await client.GetAsync("/api/v1/users/me"), 401);
        await Json.ProblemAsync(await client.GetAsync("/api/v1/users"), 401);
        await Json.ProblemAsync(await client.PostAsJsonAsync("/api/v1/cohorts", new { name = "Not mine" }), 401);
    }
}
